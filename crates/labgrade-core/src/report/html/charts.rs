//! The class report's pictures, drawn as SVG by plotters: the score histogram with the
//! pass mark on it, and one pass-rate bar per check. Text is laid out with plotters'
//! own width estimate, so no font file is read (the browser picks the font).
//!
//! Colours are fixed RGB values in the SVG; the page's style sheet names them
//! (`[fill="#2E7D32"]`) to recolour them for a dark screen.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// A histogram bar at or above the pass mark.
pub(super) const PASSING: RGBColor = RGBColor(0x2E, 0x7D, 0x32);
/// A histogram bar below the pass mark.
pub(super) const FAILING: RGBColor = RGBColor(0xC6, 0x28, 0x28);
/// The pass mark's line and label.
const MARK: RGBColor = RGBColor(0x1F, 0x4F, 0xC4);
/// Axis lines, labels and the empty part of a bar.
const INK: RGBColor = RGBColor(0x44, 0x44, 0x44);
const TRACK: RGBColor = RGBColor(0xE3, 0xE3, 0xE3);

/// One bar of the histogram: the students whose score is in `lo..=hi`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bin {
    pub lo: u32,
    pub hi: u32,
    pub students: usize,
}

impl Bin {
    /// `7`, or `10–14` for a wider bin.
    pub fn label(&self) -> String {
        if self.lo == self.hi {
            self.lo.to_string()
        } else {
            format!("{}–{}", self.lo, self.hi)
        }
    }
}

/// Splits the scores 0..=max into at most 25 bins of a round width (1, 2, 5, 10, ...)
/// and counts the scores in each.
pub fn bins(scores: &[u32], max: u32) -> Vec<Bin> {
    let width = [1u32, 2, 5, 10, 20, 25, 50, 100, 250, 500, 1000]
        .into_iter()
        .find(|w| (max / w) < 25)
        .unwrap_or(max / 24 + 1);
    let mut out: Vec<Bin> = (0..=max / width)
        .map(|i| Bin {
            lo: i * width,
            hi: ((i + 1) * width - 1).min(max),
            students: 0,
        })
        .collect();
    for &s in scores {
        let i = (s.min(max) / width) as usize;
        out[i].students += 1;
    }
    out
}

fn drawing_error<E: std::error::Error + Send + Sync>(
    e: plotters::drawing::DrawingAreaErrorKind<E>,
) -> std::io::Error {
    std::io::Error::other(e.to_string())
}

/// The histogram of `bins` (scores out of `max`) with a line at `pass` points.
pub fn histogram(bins: &[Bin], max: u32, pass: u32) -> std::io::Result<String> {
    let mut svg = String::new();
    let (w, h) = (960u32, 320u32);
    {
        let root = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
        let top = bins.iter().map(|b| b.students).max().unwrap_or(0) as u32;
        // Headroom above the tallest bar for the pass mark's label.
        let y_max = top + top / 5 + 1;
        let x_max = f64::from(max + 1);
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .margin_right(20)
            .x_label_area_size(36)
            .y_label_area_size(52)
            .build_cartesian_2d(0f64..x_max, 0u32..y_max)
            .map_err(drawing_error)?;
        let label = ("sans-serif", 16).into_font().color(&INK);
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(0)
            .y_labels(6)
            .y_desc("students")
            .y_label_formatter(&|n| n.to_string())
            .axis_style(INK)
            .label_style(label.clone())
            .light_line_style(TRANSPARENT)
            .bold_line_style(TRACK)
            .draw()
            .map_err(drawing_error)?;
        chart
            .draw_series(bins.iter().map(|b| {
                let color = if b.lo >= pass { PASSING } else { FAILING };
                Rectangle::new(
                    [
                        (f64::from(b.lo) + 0.08, 0),
                        (f64::from(b.hi) + 0.92, b.students as u32),
                    ],
                    color.filled(),
                )
            }))
            .map_err(drawing_error)?;
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(f64::from(pass), 0), (f64::from(pass), y_max)],
                MARK.stroke_width(2),
            )))
            .map_err(drawing_error)?;
        // The score labels under the bars: each score under its bar, or each wider
        // bin's first score under its left edge.
        let below = |x: f64| {
            let (px, py) = chart.backend_coord(&(x, 0));
            (px, py + 6)
        };
        let centred = label.pos(Pos::new(HPos::Center, VPos::Top));
        let every = if bins.len() > 16 { 2 } else { 1 };
        for (i, b) in bins.iter().enumerate() {
            let (text, x) = if b.lo == b.hi {
                (b.lo.to_string(), f64::from(b.lo) + 0.5)
            } else {
                (b.lo.to_string(), f64::from(b.lo))
            };
            if i % every == 0 || i + 1 == bins.len() {
                root.draw(&Text::new(text, below(x), centred.clone()))
                    .map_err(drawing_error)?;
            }
        }
        if bins.last().is_some_and(|b| b.lo != b.hi) {
            root.draw(&Text::new(max.to_string(), below(x_max), centred.clone()))
                .map_err(drawing_error)?;
        }
        let (px, py) = chart.backend_coord(&(f64::from(pass), y_max));
        // The label on the side of the line with more room.
        let (anchor, shift) = if pass * 2 > max {
            (HPos::Right, -6)
        } else {
            (HPos::Left, 6)
        };
        root.draw(&Text::new(
            format!("pass mark {pass}"),
            (px + shift, py + 4),
            ("sans-serif", 16)
                .into_font()
                .color(&MARK)
                .pos(Pos::new(anchor, VPos::Top)),
        ))
        .map_err(drawing_error)?;
        root.present().map_err(drawing_error)?;
    }
    Ok(svg)
}

/// A bar `passed` of `of` long: a check's pass rate.
pub fn rate_bar(passed: usize, of: usize) -> std::io::Result<String> {
    let mut svg = String::new();
    let (w, h) = (220u32, 16u32);
    {
        let root = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
        root.draw(&Rectangle::new(
            [(0, 2), (w as i32, h as i32 - 2)],
            TRACK.filled(),
        ))
        .map_err(drawing_error)?;
        let filled = if of == 0 {
            0
        } else {
            (passed as f64 / of as f64 * f64::from(w)).round() as i32
        };
        if filled > 0 {
            root.draw(&Rectangle::new(
                [(0, 2), (filled, h as i32 - 2)],
                PASSING.filled(),
            ))
            .map_err(drawing_error)?;
        }
        root.present().map_err(drawing_error)?;
    }
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_are_round_and_cover_every_score() {
        let b = bins(&[0, 3, 7, 7], 7);
        assert_eq!(b.len(), 8);
        assert_eq!((b[7].lo, b[7].hi, b[7].students), (7, 7, 2));
        let b = bins(&[0, 49, 50, 99, 100], 100);
        assert_eq!(b.len(), 21, "{b:?}");
        assert_eq!(b[0].label(), "0–4");
        assert_eq!((b[20].lo, b[20].hi, b[20].students), (100, 100, 1));
        assert_eq!(b.iter().map(|b| b.students).sum::<usize>(), 5);
        assert_eq!(bins(&[], 0).len(), 1);
    }

    #[test]
    fn the_histogram_has_a_bar_per_bin_and_the_pass_mark() {
        let b = bins(&[1, 2, 2, 5], 5);
        let svg = histogram(&b, 5, 3).unwrap();
        let bars =
            svg.matches("fill=\"#2E7D32\"").count() + svg.matches("fill=\"#C62828\"").count();
        assert_eq!(bars, 6, "{svg}");
        assert!(svg.contains("pass mark 3"), "{svg}");
        assert!(svg.starts_with("<svg"), "{svg}");
    }
}
