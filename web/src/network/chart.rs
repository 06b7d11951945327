//! The capacity chart as server-rendered SVG: one bar per week, the
//! tallest scaled to the plot's height, a gridline at a round number, and
//! the first week of each month labelled. Only numbers and dates (made
//! here) go into it, never text from another co-op; the page shows the
//! same figures in a table beside it for screen readers and copying.

use std::fmt::Write;

use super::WeekView;

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 240.0;
const LEFT: f64 = 48.0;
const BOTTOM: f64 = 28.0;
const TOP: f64 = 12.0;

/// A round number at or above `max` for the scale: 1, 2 or 5 × 10ⁿ.
pub fn nice_ceiling(max: f64) -> f64 {
    if max <= 0.0 {
        return 10.0;
    }
    let magnitude = 10_f64.powf(max.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|v| *v >= max)
        .unwrap_or(10.0 * magnitude)
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// The SVG of `weeks` (a complete `<svg>` element).
pub fn capacity_svg(weeks: &[WeekView]) -> String {
    let max = weeks.iter().map(|w| w.days).fold(0.0, f64::max);
    let scale = nice_ceiling(max);
    let plot_h = HEIGHT - BOTTOM - TOP;
    let slot = (WIDTH - LEFT) / weeks.len().max(1) as f64;
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg class=\"chart\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" role=\"img\" \
         aria-labelledby=\"capacity-title\" preserveAspectRatio=\"xMidYMid meet\">\
         <title id=\"capacity-title\">Free person-days per week, next {} weeks (peak {:.0})</title>",
        weeks.len(),
        max
    );
    for fraction in [0.0, 0.5, 1.0] {
        let y = TOP + plot_h * (1.0 - fraction);
        let _ = write!(
            svg,
            "<line class=\"grid\" x1=\"{LEFT}\" x2=\"{WIDTH}\" y1=\"{y:.1}\" y2=\"{y:.1}\"/>\
             <text class=\"axis\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{:.0}</text>",
            LEFT - 6.0,
            y + 4.0,
            scale * fraction
        );
    }
    let mut last_month = None;
    for (i, w) in weeks.iter().enumerate() {
        let h = if scale > 0.0 {
            plot_h * w.days / scale
        } else {
            0.0
        };
        let x = LEFT + slot * i as f64 + slot * 0.15;
        let _ = write!(
            svg,
            "<rect class=\"bar\" x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{h:.1}\">\
             <title>{}: {:.1} person-days</title></rect>",
            TOP + plot_h - h,
            slot * 0.7,
            w.week_of,
            w.days
        );
        let (_, month, _) = w.week_of.ymd();
        if last_month != Some(month) {
            last_month = Some(month);
            let _ = write!(
                svg,
                "<text class=\"axis\" x=\"{x:.1}\" y=\"{:.1}\">{}</text>",
                HEIGHT - 8.0,
                MONTHS[(month as usize).saturating_sub(1) % 12]
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scale_is_a_round_number_above_the_peak() {
        assert_eq!(nice_ceiling(0.0), 10.0);
        assert_eq!(nice_ceiling(7.0), 10.0);
        assert_eq!(nice_ceiling(13.0), 20.0);
        assert_eq!(nice_ceiling(420.0), 500.0);
        assert_eq!(nice_ceiling(500.0), 500.0);
    }

    #[test]
    fn each_week_is_a_bar_with_its_figure_and_months_are_labelled() {
        let day = |s: &str| s.parse::<coopnet_protocol::Day>().unwrap();
        let weeks = [
            WeekView {
                week_of: day("2026-12-28"),
                days: 5.0,
            },
            WeekView {
                week_of: day("2027-01-04"),
                days: 10.0,
            },
        ];
        let svg = capacity_svg(&weeks);
        assert_eq!(svg.matches("<rect class=\"bar\"").count(), 2);
        assert!(svg.contains("2027-01-04: 10.0 person-days"));
        assert!(svg.contains(">Dec<") && svg.contains(">Jan<"));
        assert!(
            svg.contains("height=\"200.0\""),
            "the peak fills the plot: {svg}"
        );
    }
}
