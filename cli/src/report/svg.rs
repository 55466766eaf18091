//! The few chart shapes the report draws, as inline SVG: stacked bars,
//! plain bars and a curve. (A plotting crate would need a font backend to
//! lay out its labels; these charts are rectangles, a polyline and text the
//! browser lays out.)

use std::fmt::Write as _;

/// The band colours, healthiest first, then "no band".
pub(crate) const COLOURS: [&str; 5] = ["#2e7d32", "#9ccc65", "#fbc02d", "#d32f2f", "#9e9e9e"];

/// Escapes text for HTML and SVG; the characters that reorder the text
/// around them (see [`is_bidi_control`](crate::terminal::is_bidi_control))
/// are shown as their escapes, as on the terminal, so that an id shows as
/// what it is.
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c if crate::terminal::is_bidi_control(c) => out.extend(c.escape_default()),
            c => out.push(c),
        }
    }
    out
}

/// Horizontal stacked bars, one per row, each part coloured by position,
/// with each part's count as a tooltip and the row total at the end.
pub(crate) fn stacked_bars(id: &str, rows: &[(String, Vec<u64>)], names: &[&str]) -> String {
    let (label_w, bar_w, row_h) = (220.0, 560.0, 26.0);
    let height = row_h * rows.len() as f64 + 40.0;
    let mut s = format!(
        r#"<svg id="{id}" class="chart" width="{w}" height="{height}" viewBox="0 0 {w} {height}" role="img">"#,
        w = label_w + bar_w + 90.0
    );
    for (i, (label, parts)) in rows.iter().enumerate() {
        let y = i as f64 * row_h;
        let total: u64 = parts.iter().sum();
        let _ = write!(
            s,
            r#"<text x="0" y="{}" class="label">{}</text>"#,
            y + 17.0,
            esc(label)
        );
        let mut x = label_w;
        for (j, n) in parts.iter().enumerate() {
            if *n == 0 || total == 0 {
                continue;
            }
            let w = bar_w * *n as f64 / total as f64;
            let _ = write!(
                s,
                r#"<rect x="{x:.2}" y="{y}" width="{w:.2}" height="{h}" fill="{c}"><title>{name}: {n}</title></rect>"#,
                y = y + 4.0,
                h = row_h - 8.0,
                c = COLOURS.get(j).unwrap_or(&"#000"),
                name = names.get(j).unwrap_or(&"")
            );
            x += w;
        }
        let _ = write!(
            s,
            r#"<text x="{}" y="{}" class="value">{total}</text>"#,
            label_w + bar_w + 8.0,
            y + 17.0
        );
    }
    let _ = write!(s, "{}", legend(names, row_h * rows.len() as f64 + 20.0));
    s.push_str("</svg>");
    s
}

/// Vertical bars with a label under each and a value text above; no
/// chart at all (an empty string) without items.
pub(crate) fn bars(id: &str, items: &[(String, f64, String)], colours: &[&str]) -> String {
    if items.is_empty() {
        return String::new();
    }
    // Bars share at most 900 px, up to 90 px each.
    let per = (900.0 / items.len().max(1) as f64).min(120.0);
    let (w, h, gap) = (per * 0.75, 180.0, per * 0.25);
    let max = items
        .iter()
        .map(|i| i.1)
        .fold(0.0, f64::max)
        .max(f64::MIN_POSITIVE);
    // Slanted labels end under their bar and run left: room on the left
    // for the first one (about 7 px a character at 30°), so that it is
    // not cut off at the chart's edge.
    let slanted = items.len() > 6;
    let longest = items.iter().map(|i| i.0.chars().count()).max().unwrap_or(0);
    let left = if slanted {
        (longest as f64 * 7.0 * 0.87 - gap - w / 2.0).max(0.0)
    } else {
        0.0
    };
    let width = left + (w + gap) * items.len() as f64 + gap;
    let mut s = format!(
        r#"<svg id="{id}" class="chart" width="{width}" height="{}" viewBox="0 0 {width} {}" role="img">"#,
        h + 110.0,
        h + 110.0
    );
    for (i, (label, value, text)) in items.iter().enumerate() {
        let x = left + gap + i as f64 * (w + gap);
        let bh = h * value / max;
        let _ = write!(
            s,
            r#"<rect x="{x}" y="{:.2}" width="{w}" height="{bh:.2}" fill="{}"><title>{}: {}</title></rect>"#,
            20.0 + h - bh,
            colours.get(i).unwrap_or(&"#607d8b"),
            esc(label),
            esc(text)
        );
        let _ = write!(
            s,
            r#"<text x="{}" y="{:.2}" class="value" text-anchor="middle">{}</text>"#,
            x + w / 2.0,
            14.0 + h - bh,
            esc(text)
        );
        let (lx, ly) = (x + w / 2.0, h + 36.0);
        if slanted {
            // Many bars: labels slanted so they do not run into each other.
            let _ = write!(
                s,
                r#"<text x="{lx}" y="{ly}" class="label" text-anchor="end" transform="rotate(-30 {lx} {ly})">{}</text>"#,
                esc(label)
            );
        } else {
            let _ = write!(
                s,
                r#"<text x="{lx}" y="{}" class="label" text-anchor="middle">{}</text>"#,
                ly + 4.0,
                esc(label)
            );
        }
    }
    s.push_str("</svg>");
    s
}

/// A curve in the unit square (x and y from 0 to 1) with the diagonal.
pub(crate) fn curve(id: &str, points: &[(f64, f64)], x_label: &str, y_label: &str) -> String {
    let (size, pad) = (320.0, 40.0);
    let at = |x: f64, y: f64| (pad + x * size, pad / 2.0 + (1.0 - y) * size);
    let mut s = format!(
        r#"<svg id="{id}" class="chart" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img">"#,
        w = size + pad * 2.0,
        h = size + pad * 2.0
    );
    let (x0, y0) = at(0.0, 0.0);
    let (x1, y1) = at(1.0, 1.0);
    let _ = write!(
        s,
        r##"<rect x="{x0}" y="{y1}" width="{size}" height="{size}" fill="none" stroke="#bbb"/>"##
    );
    let _ = write!(
        s,
        r##"<line x1="{x0}" y1="{y0}" x2="{x1}" y2="{y1}" stroke="#bbb" stroke-dasharray="4 4"/>"##
    );
    let path: Vec<String> = points
        .iter()
        .map(|(x, y)| {
            let (px, py) = at(*x, *y);
            format!("{px:.2},{py:.2}")
        })
        .collect();
    let _ = write!(
        s,
        r##"<polyline points="{}" fill="none" stroke="#1565c0" stroke-width="2"/>"##,
        path.join(" ")
    );
    let _ = write!(
        s,
        r#"<text x="{}" y="{}" class="label" text-anchor="middle">{}</text>"#,
        pad + size / 2.0,
        size + pad * 1.6,
        esc(x_label)
    );
    let _ = write!(
        s,
        r#"<text x="12" y="{}" class="label" text-anchor="middle" transform="rotate(-90 12 {})">{}</text>"#,
        pad / 2.0 + size / 2.0,
        pad / 2.0 + size / 2.0,
        esc(y_label)
    );
    s.push_str("</svg>");
    s
}

fn legend(names: &[&str], y: f64) -> String {
    let mut s = String::new();
    for (i, name) in names.iter().enumerate() {
        let x = 220.0 + i as f64 * 95.0;
        let _ = write!(
            s,
            r#"<rect x="{x}" y="{y}" width="12" height="12" fill="{}"/><text x="{}" y="{}" class="label">{}</text>"#,
            COLOURS.get(i).unwrap_or(&"#000"),
            x + 16.0,
            y + 11.0,
            esc(name)
        );
    }
    s
}
