//! Report files: CSV (UTF-8 with a byte-order mark, so spreadsheets read Vietnamese right)
//! and XLSX workbooks with headers, column widths and number formats, which is how the
//! offices pass numbers to each other.

use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

use crate::domain::indicators::{label_vi, Counters};
use crate::service::reports::{DossiersBehind, Report};

const BOM: &str = "\u{feff}";

fn csv_text(rows: Vec<Vec<String>>) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    for r in rows {
        // Writing to memory cannot fail.
        let _ = w.write_record(&r);
    }
    let bytes = w.into_inner().unwrap_or_default();
    format!("{BOM}{}", String::from_utf8_lossy(&bytes))
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|x| x.to_string()).unwrap_or_default()
}

fn indicator_rows(r: &Report) -> Vec<Vec<String>> {
    let mut rows = vec![[
        "group",
        "code",
        "name",
        "numerator",
        "denominator",
        "rate",
        "threshold",
        "max_points",
        "points",
        "formula",
        "note",
    ]
    .map(String::from)
    .to_vec()];
    for i in &r.indicators {
        rows.push(vec![
            i.group.into(),
            i.code.into(),
            i.name.into(),
            opt(i.numerator),
            opt(i.denominator),
            opt(i.rate.map(|x| format!("{x:.4}"))),
            i.threshold.to_string(),
            i.max_points.to_string(),
            opt(i.points),
            i.formula.into(),
            i.note.unwrap_or_default().into(),
        ]);
    }
    rows
}

/// The commune report's indicator table, or the province report's ranking.
pub fn csv(r: &Report) -> String {
    let Some(ranking) = &r.ranking else {
        return csv_text(indicator_rows(r));
    };
    let mut header: Vec<String> = [
        "rank",
        "commune_code",
        "commune_name",
        "points",
        "measured_max",
        "on_time_rate",
        "open_overdue",
    ]
    .map(String::from)
    .to_vec();
    header.extend(Counters::NAMES.iter().map(|n| n.to_string()));
    let mut rows = vec![header];
    for c in ranking {
        let mut row = vec![
            c.rank.to_string(),
            c.code.clone(),
            c.name.clone(),
            c.points.to_string(),
            c.measured_max.to_string(),
            opt(c.on_time_rate.map(|x| format!("{x:.4}"))),
            c.open_overdue.to_string(),
        ];
        row.extend(c.counters.values().iter().map(i64::to_string));
        rows.push(row);
    }
    csv_text(rows)
}

/// The dossiers behind a number.
pub fn dossiers_csv(list: &DossiersBehind) -> String {
    let mut rows = vec![[
        "code",
        "commune_code",
        "procedure_code",
        "channel",
        "status",
        "cohort_day",
        "received_at",
        "due_at",
        "finished_at",
        "supplement_requests",
    ]
    .map(String::from)
    .to_vec()];
    let ts = |t: Option<chrono::DateTime<chrono::Utc>>| opt(t.map(|t| t.to_rfc3339()));
    for d in &list.items {
        rows.push(vec![
            d.code.clone(),
            d.commune_code.clone(),
            d.procedure_code.clone(),
            d.channel.clone(),
            d.status.clone(),
            d.cohort_day.to_string(),
            ts(d.received_at),
            ts(d.due_at),
            ts(d.finished_at),
            d.supplement_requests.to_string(),
        ]);
    }
    csv_text(rows)
}

struct Formats {
    header: Format,
    title: Format,
    percent: Format,
    points: Format,
    int: Format,
}

fn formats() -> Formats {
    Formats {
        header: Format::new()
            .set_bold()
            .set_background_color("#DDEBF7")
            .set_text_wrap(),
        title: Format::new().set_bold().set_font_size(13),
        percent: Format::new().set_num_format("0.00%"),
        points: Format::new().set_num_format("0.00"),
        int: Format::new().set_num_format("#,##0"),
    }
}

fn headers(ws: &mut Worksheet, row: u32, titles: &[&str], f: &Formats) -> Result<(), XlsxError> {
    for (c, t) in titles.iter().enumerate() {
        ws.write_string_with_format(row, c as u16, *t, &f.header)?;
    }
    Ok(())
}

fn title(ws: &mut Worksheet, r: &Report, what: &str, f: &Formats) -> Result<(), XlsxError> {
    ws.write_string_with_format(
        0,
        0,
        format!(
            "{what} — {} ({}) — {} đến {}",
            r.unit.name, r.unit.code, r.period.from, r.period.to
        ),
        &f.title,
    )?;
    Ok(())
}

fn indicator_sheet(wb: &mut Workbook, r: &Report, f: &Formats) -> Result<(), XlsxError> {
    let ws = wb.add_worksheet().set_name("Chỉ số 766")?;
    title(ws, r, "Chỉ số Quyết định 766/QĐ-TTg", f)?;
    headers(
        ws,
        2,
        &[
            "Nhóm",
            "Mã",
            "Chỉ số",
            "Tử số",
            "Mẫu số",
            "Tỷ lệ",
            "Ngưỡng",
            "Điểm tối đa",
            "Điểm",
            "Công thức",
            "Ghi chú",
        ],
        f,
    )?;
    let mut row = 3;
    for i in &r.indicators {
        ws.write_string(row, 0, i.group)?;
        ws.write_string(row, 1, i.code)?;
        ws.write_string(row, 2, i.name)?;
        if let Some(n) = i.numerator {
            ws.write_number_with_format(row, 3, n as f64, &f.int)?;
        }
        if let Some(d) = i.denominator {
            ws.write_number_with_format(row, 4, d as f64, &f.int)?;
        }
        if let Some(rate) = i.rate {
            ws.write_number_with_format(row, 5, rate, &f.percent)?;
        }
        ws.write_number_with_format(row, 6, i.threshold, &f.percent)?;
        ws.write_number_with_format(row, 7, i.max_points, &f.points)?;
        if let Some(p) = i.points {
            ws.write_number_with_format(row, 8, p, &f.points)?;
        }
        ws.write_string(row, 9, i.formula)?;
        ws.write_string(row, 10, i.note.unwrap_or_default())?;
        row += 1;
    }
    row += 1;
    headers(
        ws,
        row,
        &[
            "Nhóm",
            "Tên nhóm",
            "Điểm tối đa",
            "Điểm",
            "Điểm tối đa đo được",
        ],
        f,
    )?;
    for g in &r.groups {
        row += 1;
        ws.write_string(row, 0, g.group)?;
        ws.write_string(row, 1, g.name)?;
        ws.write_number_with_format(row, 2, g.max_points, &f.points)?;
        ws.write_number_with_format(row, 3, g.points, &f.points)?;
        ws.write_number_with_format(row, 4, g.measured_max, &f.points)?;
    }
    row += 1;
    ws.write_string_with_format(row, 1, "Tổng", &f.header)?;
    ws.write_number_with_format(row, 2, 100.0, &f.points)?;
    ws.write_number_with_format(row, 3, r.score.points, &f.points)?;
    ws.write_number_with_format(row, 4, r.score.measured_max, &f.points)?;
    for (c, w) in [8, 6, 44, 10, 10, 9, 9, 10, 8, 60, 60].iter().enumerate() {
        ws.set_column_width(c as u16, *w)?;
    }
    ws.set_freeze_panes(3, 0)?;
    Ok(())
}

fn counter_sheet(wb: &mut Workbook, r: &Report, f: &Formats) -> Result<(), XlsxError> {
    let ws = wb.add_worksheet().set_name("Số liệu")?;
    title(ws, r, "Số liệu hồ sơ", f)?;
    headers(ws, 2, &["Chỉ tiêu", "Mã", "Số lượng"], f)?;
    let open = [
        ("open_on_time", r.open.open_on_time),
        ("open_overdue", r.open.open_overdue),
    ];
    let values = Counters::NAMES
        .iter()
        .copied()
        .zip(r.counters.values())
        .chain(open);
    for (row, (name, v)) in (3..).zip(values) {
        ws.write_string(row, 0, label_vi(name))?;
        ws.write_string(row, 1, name)?;
        ws.write_number_with_format(row, 2, v as f64, &f.int)?;
    }
    ws.set_column_width(0, 36)?;
    ws.set_column_width(1, 24)?;
    ws.set_column_width(2, 12)?;
    Ok(())
}

fn keyed_sheet(
    wb: &mut Workbook,
    r: &Report,
    name: &str,
    key_title: &str,
    rows: &[(Vec<String>, crate::domain::indicators::Counters)],
    leading: &[&str],
    f: &Formats,
) -> Result<(), XlsxError> {
    let ws = wb.add_worksheet().set_name(name)?;
    title(ws, r, key_title, f)?;
    let mut titles: Vec<&str> = leading.to_vec();
    titles.extend(Counters::NAMES.iter().map(|n| label_vi(n)));
    headers(ws, 2, &titles, f)?;
    for (i, (lead, counters)) in rows.iter().enumerate() {
        let row = 3 + i as u32;
        for (c, v) in lead.iter().enumerate() {
            ws.write_string(row, c as u16, v)?;
        }
        for (j, v) in counters.values().iter().enumerate() {
            ws.write_number_with_format(row, (lead.len() + j) as u16, *v as f64, &f.int)?;
        }
    }
    ws.set_column_width(0, 14)?;
    ws.set_freeze_panes(3, leading.len() as u16)?;
    ws.autofilter(
        2,
        0,
        2 + rows.len() as u32,
        (leading.len() + Counters::NAMES.len() - 1) as u16,
    )?;
    Ok(())
}

/// A workbook: ranking (province), indicators, counters and the breakdown if any.
pub fn xlsx(r: &Report) -> Result<Vec<u8>, XlsxError> {
    let f = formats();
    let mut wb = Workbook::new();
    if let Some(ranking) = &r.ranking {
        let ws = wb.add_worksheet().set_name("Xếp hạng")?;
        title(ws, r, "Xếp hạng xã, phường", &f)?;
        let mut titles = vec![
            "Hạng",
            "Mã xã",
            "Tên xã",
            "Điểm",
            "Điểm tối đa đo được",
            "Tỷ lệ đúng hạn",
            "Đang quá hạn",
        ];
        titles.extend(Counters::NAMES.iter().map(|n| label_vi(n)));
        headers(ws, 2, &titles, &f)?;
        for (i, c) in ranking.iter().enumerate() {
            let row = 3 + i as u32;
            ws.write_number(row, 0, c.rank as f64)?;
            ws.write_string(row, 1, &c.code)?;
            ws.write_string(row, 2, &c.name)?;
            ws.write_number_with_format(row, 3, c.points, &f.points)?;
            ws.write_number_with_format(row, 4, c.measured_max, &f.points)?;
            if let Some(rate) = c.on_time_rate {
                ws.write_number_with_format(row, 5, rate, &f.percent)?;
            }
            ws.write_number_with_format(row, 6, c.open_overdue as f64, &f.int)?;
            for (j, v) in c.counters.values().iter().enumerate() {
                ws.write_number_with_format(row, (7 + j) as u16, *v as f64, &f.int)?;
            }
        }
        ws.set_column_width(2, 28)?;
        ws.set_freeze_panes(3, 3)?;
        ws.autofilter(
            2,
            0,
            2 + ranking.len() as u32,
            (6 + Counters::NAMES.len()) as u16,
        )?;
    }
    indicator_sheet(&mut wb, r, &f)?;
    counter_sheet(&mut wb, r, &f)?;
    if let Some(rows) = &r.breakdown {
        let rows: Vec<_> = rows
            .iter()
            .map(|k| (vec![k.key.clone()], k.counters))
            .collect();
        keyed_sheet(
            &mut wb,
            r,
            "Chi tiết",
            "Theo thủ tục / kênh",
            &rows,
            &["Thủ tục / kênh"],
            &f,
        )?;
    }
    wb.save_to_buffer()
}
