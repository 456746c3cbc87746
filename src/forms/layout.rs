//! A small layout layer over krilla: an A4 page with the margins of Decree 30/2020/NĐ-CP,
//! a cursor that flows down the page (breaking to a new page at the bottom margin),
//! centred and wrapped lines, bordered tables, rules and QR codes. Everything is first
//! collected as positioned operations, then emitted, so page breaks need no look-ahead.

use std::sync::LazyLock;

use chrono::{Datelike, NaiveDateTime, Timelike};
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::{DateTime, Metadata};
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::text::{Font, TextDirection};
use krilla::Document;
use unicode_normalization::UnicodeNormalization;

/// Points per millimetre.
pub const MM: f32 = 72.0 / 25.4;
/// A4 portrait.
pub const PAGE_W: f32 = 210.0 * MM;
pub const PAGE_H: f32 = 297.0 * MM;
/// Margins of Decree 30/2020/NĐ-CP, Appendix I §I.4: top and bottom 20–25 mm, left 30–35 mm,
/// right 15–20 mm (the smallest of each range, to leave room for tables).
pub const TOP: f32 = 20.0 * MM;
pub const BOTTOM: f32 = 20.0 * MM;
pub const LEFT: f32 = 30.0 * MM;
pub const RIGHT: f32 = 15.0 * MM;
pub const WIDTH: f32 = PAGE_W - LEFT - RIGHT;

static REGULAR: &[u8] = include_bytes!("../../assets/fonts/LiberationSerif-Regular.ttf");
static BOLD: &[u8] = include_bytes!("../../assets/fonts/LiberationSerif-Bold.ttf");
static ITALIC: &[u8] = include_bytes!("../../assets/fonts/LiberationSerif-Italic.ttf");

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Style {
    Regular,
    Bold,
    Italic,
}

struct Face {
    pdf: Font,
    shaper: rustybuzz::Face<'static>,
}

struct Faces([Face; 3]);

// Parsed once: shaping tables and krilla's font handle are read-only afterwards.
static FACES: LazyLock<Faces> = LazyLock::new(|| {
    let face = |bytes: &'static [u8]| Face {
        pdf: Font::new(bytes.into(), 0).expect("bundled font parses"),
        shaper: rustybuzz::Face::from_slice(bytes, 0).expect("bundled font parses"),
    };
    Faces([face(REGULAR), face(BOLD), face(ITALIC)])
});

fn face(style: Style) -> &'static Face {
    &FACES.0[style as usize]
}

/// Text as it is typeset: NFC, so a decomposed "ệ" from some client prints and extracts as
/// the one precomposed letter the font and every reader expect.
pub fn nfc(text: &str) -> String {
    text.nfc().collect()
}

/// The advance width of `text` (already NFC) at `size` points, as the shaper lays it out.
pub fn width(text: &str, style: Style, size: f32) -> f32 {
    let f = &face(style).shaper;
    let mut buffer = rustybuzz::UnicodeBuffer::new();
    buffer.push_str(text);
    let shaped = rustybuzz::shape(f, &[], buffer);
    let units: i32 = shaped.glyph_positions().iter().map(|p| p.x_advance).sum();
    units as f32 * size / f.units_per_em() as f32
}

/// Greedy word wrap of `text` into lines no wider than `max`.
pub fn wrap(text: &str, style: Style, size: f32, max: f32) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        for word in paragraph.split_whitespace() {
            let candidate = if line.is_empty() {
                word.to_string()
            } else {
                format!("{line} {word}")
            };
            if line.is_empty() || width(&candidate, style, size) <= max {
                line = candidate;
            } else {
                lines.push(std::mem::replace(&mut line, word.to_string()));
            }
        }
        lines.push(line);
    }
    lines
}

/// `text` on as few lines as fit in `max`, the lines as even as possible: a heading that
/// needs two lines breaks in its middle ("TRUNG TÂM PHỤC VỤ / HÀNH CHÍNH CÔNG"), not
/// before its last word.
pub fn balanced(text: &str, style: Style, size: f32, max: f32) -> Vec<String> {
    let greedy = wrap(text, style, size, max);
    if greedy.len() != 2 {
        return greedy;
    }
    let words: Vec<&str> = text.split_whitespace().collect();
    (1..words.len())
        .map(|i| vec![words[..i].join(" "), words[i..].join(" ")])
        .filter(|l| l.iter().all(|l| width(l, style, size) <= max))
        .min_by(|a, b| {
            let widest = |l: &Vec<String>| width(&l[0], style, size).max(width(&l[1], style, size));
            widest(a).total_cmp(&widest(b))
        })
        .unwrap_or(greedy)
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Center,
    Right,
}

enum Op {
    Text {
        x: f32,
        baseline: f32,
        style: Style,
        size: f32,
        text: String,
    },
    Line {
        from: (f32, f32),
        to: (f32, f32),
        width: f32,
    },
    /// Filled squares (QR modules), as one path.
    Squares(Vec<Rect>),
}

/// A document being laid out: pages of operations and a cursor `y` (from the top edge).
pub struct Sheet {
    pages: Vec<Vec<Op>>,
    pub y: f32,
    /// Line height as a multiple of the font size (Decree 30: single to 1.5 spacing).
    pub leading: f32,
}

impl Default for Sheet {
    fn default() -> Self {
        Self::new()
    }
}

impl Sheet {
    pub fn new() -> Sheet {
        Sheet {
            pages: vec![Vec::new()],
            y: TOP,
            leading: 1.25,
        }
    }

    fn ops(&mut self) -> &mut Vec<Op> {
        self.pages.last_mut().expect("a sheet has a page")
    }

    /// Room for `height` more points on this page, else a new page.
    pub fn need(&mut self, height: f32) {
        if self.y + height > PAGE_H - BOTTOM {
            self.pages.push(Vec::new());
            self.y = TOP;
        }
    }

    pub fn space(&mut self, points: f32) {
        self.y += points;
    }

    /// One line of text at the cursor inside the column `[x, x + w]`, without moving it.
    /// Returns the drawn width.
    pub fn text_at(
        &mut self,
        x: f32,
        w: f32,
        align: Align,
        style: Style,
        size: f32,
        text: &str,
    ) -> f32 {
        let text = nfc(text);
        let tw = width(&text, style, size);
        let x = match align {
            Align::Left => x,
            Align::Center => x + (w - tw) / 2.0,
            Align::Right => x + w - tw,
        };
        let baseline = self.y + size * 0.9;
        if !text.is_empty() {
            self.ops().push(Op::Text {
                x,
                baseline,
                style,
                size,
                text,
            });
        }
        tw
    }

    /// A wrapped paragraph in the column `[x, x + w]`; moves the cursor below it.
    pub fn para_in(&mut self, x: f32, w: f32, align: Align, style: Style, size: f32, text: &str) {
        for line in wrap(&nfc(text), style, size, w) {
            self.need(size * self.leading);
            self.text_at(x, w, align, style, size, &line);
            self.y += size * self.leading;
        }
    }

    /// A heading broken into even lines (see [`balanced`]) in `[x, x + w]`.
    pub fn heading_in(&mut self, x: f32, w: f32, style: Style, size: f32, text: &str) {
        for line in balanced(&nfc(text), style, size, w) {
            self.need(size * self.leading);
            self.text_at(x, w, Align::Center, style, size, &line);
            self.y += size * self.leading;
        }
    }

    /// A wrapped paragraph across the text width.
    pub fn para(&mut self, align: Align, style: Style, size: f32, text: &str) {
        self.para_in(LEFT, WIDTH, align, style, size, text);
    }

    /// "Label: value" with a bold-free label and the value wrapped after it, continuing
    /// lines at the left margin (as the forms print their dotted fields).
    pub fn field(&mut self, label: &str, value: &str, size: f32) {
        self.para(
            Align::Left,
            Style::Regular,
            size,
            &format!("{label} {value}"),
        );
    }

    pub fn rule(&mut self, from: (f32, f32), to: (f32, f32), width: f32) {
        self.ops().push(Op::Line { from, to, width });
    }

    /// A horizontal rule of `len` centred in `[x, x + w]` just under the cursor.
    pub fn underline(&mut self, x: f32, w: f32, len: f32) {
        let y = self.y + 1.0;
        let start = x + (w - len) / 2.0;
        self.rule((start, y), (start + len, y), 0.6);
    }

    /// A QR code of `data` with its top-left corner at `(x, y)`, `size` points square
    /// (including the 4-module quiet zone). Level M: a creased or smudged print still scans.
    pub fn qr(&mut self, x: f32, y: f32, size: f32, data: &str) {
        let code = qrcode::QrCode::with_error_correction_level(data.as_bytes(), qrcode::EcLevel::M)
            .expect("a URL fits in a QR code");
        let n = code.width();
        let module = size / (n + 8) as f32;
        let squares = code
            .to_colors()
            .iter()
            .enumerate()
            .filter(|(_, c)| **c == qrcode::Color::Dark)
            .filter_map(|(i, _)| {
                let (col, row) = ((i % n + 4) as f32, (i / n + 4) as f32);
                Rect::from_xywh(x + col * module, y + row * module, module, module)
            })
            .collect();
        self.ops().push(Op::Squares(squares));
    }

    /// A bordered table across `[LEFT, LEFT + sum(widths)]`: a bold header row, then rows
    /// whose cells wrap; a row that does not fit moves to the next page whole.
    pub fn table(&mut self, widths: &[f32], header: &[&str], rows: &[Vec<String>], size: f32) {
        let pad = 3.0;
        let header: Vec<String> = header.iter().map(|h| h.to_string()).collect();
        for (i, row) in std::iter::once(&header).chain(rows.iter()).enumerate() {
            let style = if i == 0 { Style::Bold } else { Style::Regular };
            let cells: Vec<Vec<String>> = row
                .iter()
                .zip(widths)
                .map(|(c, w)| wrap(&nfc(c), style, size, w - 2.0 * pad))
                .collect();
            let lines = cells.iter().map(Vec::len).max().unwrap_or(1).max(1);
            let height = lines as f32 * size * self.leading + 2.0 * pad;
            self.need(height);
            let top = self.y;
            let mut x = LEFT;
            for (cell, w) in cells.iter().zip(widths) {
                self.y = top + pad;
                let align = if i == 0 { Align::Center } else { Align::Left };
                for line in cell {
                    self.text_at(x + pad, w - 2.0 * pad, align, style, size, line);
                    self.y += size * self.leading;
                }
                x += w;
            }
            let right = LEFT + widths.iter().sum::<f32>();
            self.rule((LEFT, top), (right, top), 0.5);
            self.rule((LEFT, top + height), (right, top + height), 0.5);
            let mut x = LEFT;
            self.rule((x, top), (x, top + height), 0.5);
            for w in widths {
                x += w;
                self.rule((x, top), (x, top + height), 0.5);
            }
            self.y = top + height;
        }
    }

    /// The finished PDF. `created` (the record's own date) and `id` are the only varying
    /// inputs of the file, so the same record always gives the same bytes.
    pub fn finish(self, title: &str, id: &str, created: NaiveDateTime) -> Vec<u8> {
        let mut doc = Document::new();
        let date = DateTime::new(created.year().clamp(0, 9999) as u16)
            .month(created.month() as u8)
            .day(created.day() as u8)
            .hour(created.hour() as u8)
            .minute(created.minute() as u8)
            .second(created.second() as u8)
            .utc_offset_hour(7);
        doc.set_metadata(
            Metadata::new()
                .title(nfc(title))
                .language("vi".to_string())
                .creator("motcua".to_string())
                .producer("motcua".to_string())
                .creation_date(date)
                .document_id(id.to_string()),
        );
        let settings = PageSettings::from_wh(PAGE_W, PAGE_H).expect("A4 is a valid page size");
        for ops in self.pages {
            let mut page = doc.start_page_with(settings.clone());
            let mut surface = page.surface();
            surface.set_fill(Some(Fill::default()));
            for op in ops {
                match op {
                    Op::Text {
                        x,
                        baseline,
                        style,
                        size,
                        text,
                    } => surface.draw_text(
                        Point::from_xy(x, baseline),
                        face(style).pdf.clone(),
                        size,
                        &text,
                        false,
                        TextDirection::LeftToRight,
                    ),
                    Op::Line { from, to, width } => {
                        let mut pb = PathBuilder::new();
                        pb.move_to(from.0, from.1);
                        pb.line_to(to.0, to.1);
                        if let Some(path) = pb.finish() {
                            surface.set_fill(None);
                            surface.set_stroke(Some(Stroke {
                                width,
                                ..Default::default()
                            }));
                            surface.draw_path(&path);
                            surface.set_stroke(None);
                            surface.set_fill(Some(Fill::default()));
                        }
                    }
                    Op::Squares(rects) => {
                        let mut pb = PathBuilder::new();
                        for r in rects {
                            pb.push_rect(r);
                        }
                        if let Some(path) = pb.finish() {
                            surface.draw_path(&path);
                        }
                    }
                }
            }
            surface.finish();
            page.finish();
        }
        // Only a bug (an unusable font) can fail here: the inputs are our own fonts and paths.
        doc.finish().expect("PDF serialisation")
    }
}

/// Vietnamese date as Decree 30/2020/NĐ-CP writes it (Appendix I §II.4): "ngày 05 tháng 01
/// năm 2026" — days below 10 and the months January and February take a leading zero,
/// so the day and month cannot be altered by adding a digit.
pub fn vn_date(d: impl Datelike) -> String {
    let month = if d.month() < 3 {
        format!("{:02}", d.month())
    } else {
        d.month().to_string()
    };
    format!("ngày {:02} tháng {month} năm {}", d.day(), d.year())
}

/// "10 giờ 05 phút, ngày 08 tháng 12 năm 2026".
pub fn vn_time(t: NaiveDateTime) -> String {
    format!("{} giờ {:02} phút, {}", t.hour(), t.minute(), vn_date(t))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    /// Decree 30/2020/NĐ-CP Appendix I §II.4: a leading zero for days 1–9 and months 1–2.
    #[test]
    fn dates_as_decree_30_2020_appendix_i_writes_them() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(vn_date(d(2026, 1, 5)), "ngày 05 tháng 01 năm 2026");
        assert_eq!(vn_date(d(2026, 2, 28)), "ngày 28 tháng 02 năm 2026");
        assert_eq!(vn_date(d(2026, 3, 1)), "ngày 01 tháng 3 năm 2026");
        assert_eq!(vn_date(d(2026, 12, 8)), "ngày 08 tháng 12 năm 2026");
        let t = d(2026, 12, 8).and_hms_opt(9, 5, 0).unwrap();
        assert_eq!(vn_time(t), "9 giờ 05 phút, ngày 08 tháng 12 năm 2026");
    }

    #[test]
    fn wrapping_keeps_every_word_and_fits() {
        let text = "Cấp Giấy xác nhận tình trạng hôn nhân cho công dân Việt Nam cư trú trong nước";
        let lines = wrap(text, Style::Regular, 13.0, 150.0);
        assert!(lines.len() > 1);
        assert_eq!(lines.join(" "), text);
        assert!(lines
            .iter()
            .all(|l| width(l, Style::Regular, 13.0) <= 150.0));
    }

    #[test]
    fn headings_break_evenly() {
        let lines = balanced(
            "TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG",
            Style::Bold,
            12.0,
            196.0,
        );
        assert_eq!(lines, ["TRUNG TÂM PHỤC VỤ", "HÀNH CHÍNH CÔNG"]);
    }

    #[test]
    fn decomposed_input_is_typeset_precomposed() {
        assert_eq!(nfc("Nguye\u{302}\u{303}n"), "Nguyễn");
    }
}
