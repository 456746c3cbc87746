//! The forms themselves: the Decree 30/2020/NĐ-CP frame and each form's body.

use chrono::NaiveDateTime;

use super::layout::{vn_date, vn_time, Align, Sheet, Style, LEFT, WIDTH};
use super::{
    vnd, Agency, ControlSlipForm, DossierHead, FeeReceiptForm, FormKind, ReceiptForm, SlipForm,
};

/// Body text size (Decree 30: 13–14 pt).
const BODY: f32 = 13.0;
/// The header blocks (Decree 30: 12–13 pt).
const HEAD: f32 = 12.0;
/// Left column (agency block) share of the text width.
const LEFT_SHARE: f32 = 0.42;

/// The legal line printed at the foot of each dossier form.
const ONE_STOP: &str =
    "Cơ chế một cửa, một cửa liên thông: Nghị định số 118/2025/NĐ-CP; thể thức: Nghị định số 30/2020/NĐ-CP.";

fn upper(s: &str) -> String {
    s.to_uppercase()
}

/// The Decree 30 header: agency block left, national title block right, then the form's
/// title. `number` is the "Số:" line; `date` the document's date.
fn frame(s: &mut Sheet, kind: FormKind, agency: &Agency, number: &str, date: NaiveDateTime) {
    if let Some(n) = kind.number() {
        s.text_at(
            LEFT,
            WIDTH,
            Align::Right,
            Style::Italic,
            11.0,
            &format!("Mẫu số {n}"),
        );
        s.space(16.0);
    }
    let top = s.y;
    let lw = WIDTH * LEFT_SHARE;
    let (rx, rw) = (LEFT + lw, WIDTH - lw);

    // Left: governing body, issuing agency (bold, underlined), number.
    s.heading_in(LEFT, lw, Style::Regular, HEAD, &upper(&agency.parent));
    s.heading_in(LEFT, lw, Style::Bold, HEAD, &upper(&agency.name));
    s.underline(LEFT, lw, lw * 0.4);
    s.space(6.0);
    s.para_in(
        LEFT,
        lw,
        Align::Center,
        Style::Regular,
        BODY,
        &format!("Số: {number}"),
    );
    let left_bottom = s.y;

    // Right: national title, motto underlined as long as itself, place and date.
    s.y = top;
    s.text_at(
        rx,
        rw,
        Align::Center,
        Style::Bold,
        HEAD,
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    );
    s.space(HEAD * s.leading);
    let motto = s.text_at(
        rx,
        rw,
        Align::Center,
        Style::Bold,
        BODY,
        "Độc lập - Tự do - Hạnh phúc",
    );
    s.space(BODY * s.leading);
    s.underline(rx, rw, motto);
    s.space(6.0);
    let place_date = format!("{}, {}", agency.place, vn_date(date));
    s.para_in(rx, rw, Align::Center, Style::Italic, BODY, &place_date);

    s.y = s.y.max(left_bottom) + 14.0;
    s.para(Align::Center, Style::Bold, 14.0, kind.title());
}

/// Two signature blocks side by side (left may be empty), with the names when known.
fn signatures(s: &mut Sheet, left: Option<(&str, Option<&str>)>, right: (&str, Option<&str>)) {
    s.need(110.0);
    s.space(12.0);
    let half = WIDTH / 2.0;
    let top = s.y;
    let mut bottom = top;
    for (x, block) in [(LEFT, left), (LEFT + half, Some(right))] {
        let Some((title, name)) = block else { continue };
        s.y = top;
        s.para_in(x, half, Align::Center, Style::Bold, BODY, &upper(title));
        s.para_in(
            x,
            half,
            Align::Center,
            Style::Italic,
            BODY,
            "(Ký và ghi rõ họ tên)",
        );
        s.space(56.0);
        if let Some(name) = name {
            s.para_in(x, half, Align::Center, Style::Bold, BODY, name);
        }
        bottom = bottom.max(s.y);
    }
    s.y = bottom;
}

/// The form's name, then its legal sources on a line of their own (so a reference never
/// breaks across lines).
fn legal_foot(s: &mut Sheet, form: &str, sources: &str) {
    s.space(10.0);
    s.para(Align::Left, Style::Italic, 10.0, form);
    s.para(Align::Left, Style::Italic, 10.0, sources);
}

fn applicant_lines(s: &mut Sheet, head: &DossierHead, lead: &str) {
    s.field(lead, &head.applicant.name, BODY);
    if let Some(a) = &head.applicant.address {
        s.field("Địa chỉ:", a, BODY);
    }
    let mut contact = Vec::new();
    if let Some(p) = &head.applicant.phone {
        contact.push(format!("Số điện thoại: {p}"));
    }
    if let Some(e) = &head.applicant.email {
        contact.push(format!("Email: {e}"));
    }
    if !contact.is_empty() {
        s.para(Align::Left, Style::Regular, BODY, &contact.join("    "));
    }
    s.field("Thủ tục hành chính:", &head.procedure_name, BODY);
    if !head.summary.trim().is_empty() {
        s.field("Nội dung yêu cầu giải quyết:", &head.summary, BODY);
    }
}

fn file_id(kind: FormKind, key: &str) -> String {
    format!("motcua/{}/{key}", kind.slug())
}

/// Giấy tiếp nhận hồ sơ và hẹn trả kết quả (form 01).
pub fn receipt(f: &ReceiptForm) -> Vec<u8> {
    let h = &f.head;
    let received = h.received_at.expect("a receipt is of a received dossier");
    let mut s = Sheet::new();
    frame(
        &mut s,
        FormKind::Receipt,
        &h.agency,
        &h.dossier_code,
        received,
    );
    s.para(
        Align::Center,
        Style::Bold,
        BODY,
        &format!("Mã hồ sơ: {}", h.dossier_code),
    );
    s.space(8.0);
    s.para(
        Align::Left,
        Style::Regular,
        BODY,
        &format!("{} {} tiếp nhận hồ sơ của:", h.agency.name, h.agency.place),
    );
    applicant_lines(&mut s, h, "Ông/Bà:");
    s.para(
        Align::Left,
        Style::Regular,
        BODY,
        "1. Thành phần hồ sơ nộp gồm:",
    );
    let rows: Vec<Vec<String>> = f
        .components
        .iter()
        .enumerate()
        .map(|(i, (doc, source))| {
            vec![(i + 1).to_string(), doc.clone(), source.clone(), "1".into()]
        })
        .collect();
    let w = WIDTH;
    s.table(
        &[0.08 * w, 0.52 * w, 0.28 * w, 0.12 * w],
        &["TT", "Tên giấy tờ", "Hình thức", "Số lượng"],
        &rows,
        12.0,
    );
    s.space(4.0);
    s.field("2. Số lượng hồ sơ:", "01 (bộ)", BODY);
    s.field("3. Thời gian nhận hồ sơ:", &vn_time(received), BODY);
    if let Some(due) = h.due_at {
        s.field(
            "4. Thời gian trả kết quả giải quyết hồ sơ:",
            &vn_time(due),
            BODY,
        );
    }
    s.field(
        "5. Đăng ký nhận kết quả tại:",
        &format!("{} {}", h.agency.name, h.agency.place),
        BODY,
    );
    qr_block(&mut s, &f.lookup_url, &format!(
        "Tra cứu tình trạng hồ sơ: quét mã QR hoặc truy cập địa chỉ dưới đây với mã hồ sơ {} và mã tra cứu {}.",
        h.dossier_code, f.lookup_pin
    ));
    signatures(
        &mut s,
        Some(("Người nộp hồ sơ", Some(&h.applicant.name))),
        ("Người tiếp nhận hồ sơ", f.officer.as_deref()),
    );
    legal_foot(
        &mut s,
        "Mẫu số 01 — Giấy tiếp nhận hồ sơ và hẹn trả kết quả",
        ONE_STOP,
    );
    s.finish(
        FormKind::Receipt.title(),
        &file_id(FormKind::Receipt, &h.dossier_code),
        received,
    )
}

/// A QR code at the left with its explanation and the URL beside it.
fn qr_block(s: &mut Sheet, url: &str, text: &str) {
    let size = 96.0;
    s.need(size + 8.0);
    s.space(6.0);
    let top = s.y;
    s.qr(LEFT - 10.0, top, size, url);
    let x = LEFT + size;
    let w = WIDTH - size;
    s.y = top + 14.0;
    s.para_in(x, w, Align::Left, Style::Italic, 12.0, text);
    s.para_in(x, w, Align::Left, Style::Regular, 10.0, url);
    s.y = s.y.max(top + size);
}

/// Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ (form 02).
pub fn supplement_request(f: &SlipForm) -> Vec<u8> {
    let h = &f.head;
    let mut s = Sheet::new();
    frame(
        &mut s,
        FormKind::SupplementRequest,
        &h.agency,
        &h.dossier_code,
        f.issued_at,
    );
    s.para(
        Align::Center,
        Style::Bold,
        BODY,
        &format!("Mã hồ sơ: {}", h.dossier_code),
    );
    s.space(8.0);
    applicant_lines(&mut s, h, "Kính gửi Ông/Bà:");
    if let Some(r) = h.received_at {
        s.field("Ngày tiếp nhận hồ sơ:", &vn_date(r), BODY);
    }
    s.para(
        Align::Left,
        Style::Regular,
        BODY,
        "Sau khi xem xét, đề nghị Ông/Bà bổ sung, hoàn thiện hồ sơ gồm những nội dung sau:",
    );
    for (i, item) in f.missing_items.iter().enumerate() {
        s.para(
            Align::Left,
            Style::Regular,
            BODY,
            &format!("{}. {item}", i + 1),
        );
    }
    if let Some(r) = &f.reason {
        s.field("Lý do:", r, BODY);
    }
    if let Some(d) = f.date {
        s.field("Thời hạn bổ sung:", &format!("trước {}", vn_date(d)), BODY);
    }
    let contact = match &h.agency.phone {
        Some(p) => format!(
            "Trong quá trình hoàn thiện hồ sơ, nếu có vướng mắc, Ông/Bà liên hệ {} {}, số điện thoại {p}, để được hướng dẫn.",
            h.agency.name, h.agency.place
        ),
        None => format!(
            "Trong quá trình hoàn thiện hồ sơ, nếu có vướng mắc, Ông/Bà liên hệ {} {} để được hướng dẫn.",
            h.agency.name, h.agency.place
        ),
    };
    s.para(Align::Left, Style::Regular, BODY, &contact);
    signatures(&mut s, None, ("Người hướng dẫn", f.officer.as_deref()));
    legal_foot(
        &mut s,
        "Mẫu số 02 — Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ",
        ONE_STOP,
    );
    s.finish(
        FormKind::SupplementRequest.title(),
        &file_id(
            FormKind::SupplementRequest,
            &format!("{}/{}", h.dossier_code, f.issued_at),
        ),
        f.issued_at,
    )
}

/// Phiếu từ chối tiếp nhận giải quyết hồ sơ (form 03).
pub fn refusal(f: &SlipForm) -> Vec<u8> {
    let h = &f.head;
    let mut s = Sheet::new();
    frame(
        &mut s,
        FormKind::Refusal,
        &h.agency,
        &h.dossier_code,
        f.issued_at,
    );
    s.para(
        Align::Center,
        Style::Bold,
        BODY,
        &format!("Mã hồ sơ: {}", h.dossier_code),
    );
    s.space(8.0);
    applicant_lines(&mut s, h, "Kính gửi Ông/Bà:");
    s.para(
        Align::Left,
        Style::Regular,
        BODY,
        &format!(
            "Qua xem xét, {} {} thông báo không tiếp nhận, giải quyết hồ sơ này với lý do cụ thể như sau:",
            h.agency.name, h.agency.place
        ),
    );
    s.para(
        Align::Left,
        Style::Regular,
        BODY,
        f.reason.as_deref().unwrap_or(""),
    );
    s.para(
        Align::Left,
        Style::Regular,
        BODY,
        "Xin thông báo để Ông/Bà được biết và thực hiện.",
    );
    signatures(
        &mut s,
        None,
        ("Người tiếp nhận hồ sơ", f.officer.as_deref()),
    );
    legal_foot(
        &mut s,
        "Mẫu số 03 — Phiếu từ chối tiếp nhận giải quyết hồ sơ",
        ONE_STOP,
    );
    s.finish(
        FormKind::Refusal.title(),
        &file_id(
            FormKind::Refusal,
            &format!("{}/{}", h.dossier_code, f.issued_at),
        ),
        f.issued_at,
    )
}

/// Phiếu xin lỗi và hẹn lại ngày trả kết quả (form 04).
pub fn apology(f: &SlipForm) -> Vec<u8> {
    let h = &f.head;
    let mut s = Sheet::new();
    frame(
        &mut s,
        FormKind::Apology,
        &h.agency,
        &h.dossier_code,
        f.issued_at,
    );
    s.para(
        Align::Center,
        Style::Bold,
        BODY,
        &format!("Mã hồ sơ: {}", h.dossier_code),
    );
    s.space(8.0);
    applicant_lines(&mut s, h, "Kính gửi Ông/Bà:");
    if let (Some(r), Some(d)) = (h.received_at, h.due_at) {
        s.para(
            Align::Left,
            Style::Regular,
            BODY,
            &format!(
                "{} {} tiếp nhận hồ sơ của Ông/Bà vào {}, hẹn trả kết quả vào {}.",
                h.agency.name,
                h.agency.place,
                vn_time(r),
                vn_time(d)
            ),
        );
    }
    s.para(
        Align::Left,
        Style::Regular,
        BODY,
        "Tuy nhiên đến nay, hồ sơ của Ông/Bà chưa được giải quyết xong.",
    );
    s.field("Lý do:", f.reason.as_deref().unwrap_or(""), BODY);
    let new_date = f.date.map(vn_date).unwrap_or_default();
    s.para(
        Align::Left,
        Style::Regular,
        BODY,
        &format!(
            "Sự chậm trễ này đã gây phiền hà cho Ông/Bà. Chúng tôi xin lỗi Ông/Bà và hẹn lại ngày trả kết quả giải quyết hồ sơ vào {new_date}."
        ),
    );
    s.para(
        Align::Left,
        Style::Regular,
        BODY,
        "Mong nhận được sự thông cảm của Ông/Bà vì sự chậm trễ này.",
    );
    signatures(&mut s, None, ("Thủ trưởng cơ quan", f.officer.as_deref()));
    legal_foot(
        &mut s,
        "Mẫu số 04 — Phiếu xin lỗi và hẹn lại ngày trả kết quả",
        ONE_STOP,
    );
    s.finish(
        FormKind::Apology.title(),
        &file_id(
            FormKind::Apology,
            &format!("{}/{}", h.dossier_code, f.issued_at),
        ),
        f.issued_at,
    )
}

/// Phiếu kiểm soát quá trình giải quyết hồ sơ (form 06): every step of the history.
pub fn control_slip(f: &ControlSlipForm) -> Vec<u8> {
    let h = &f.head;
    let mut s = Sheet::new();
    frame(
        &mut s,
        FormKind::ControlSlip,
        &h.agency,
        &h.dossier_code,
        f.as_of,
    );
    s.para(
        Align::Center,
        Style::Bold,
        BODY,
        &format!("Mã hồ sơ: {}", h.dossier_code),
    );
    s.space(8.0);
    s.field("Kèm theo hồ sơ của:", &h.applicant.name, BODY);
    s.field("Thủ tục hành chính:", &h.procedure_name, BODY);
    s.field(
        "Cơ quan (bộ phận) giải quyết hồ sơ:",
        &format!("{} {}", h.agency.name, h.agency.place),
        BODY,
    );
    if let Some(r) = h.received_at {
        s.field("Thời gian tiếp nhận:", &vn_time(r), BODY);
    }
    if let Some(d) = h.due_at {
        s.field("Thời hạn trả kết quả:", &vn_time(d), BODY);
    }
    s.space(4.0);
    let rows: Vec<Vec<String>> = f
        .steps
        .iter()
        .enumerate()
        .map(|(i, st)| {
            vec![
                (i + 1).to_string(),
                vn_time(st.at),
                format!("{}\n{}", st.action, st.actor),
                st.status.clone(),
                st.note.clone().unwrap_or_default(),
            ]
        })
        .collect();
    let w = WIDTH;
    s.table(
        &[0.06 * w, 0.23 * w, 0.35 * w, 0.18 * w, 0.18 * w],
        &[
            "TT",
            "Thời gian giao, nhận",
            "Bước xử lý, người thực hiện",
            "Kết quả",
            "Ghi chú",
        ],
        &rows,
        11.0,
    );
    legal_foot(
        &mut s,
        "Mẫu số 06 — Phiếu kiểm soát quá trình giải quyết hồ sơ",
        ONE_STOP,
    );
    s.finish(
        FormKind::ControlSlip.title(),
        &file_id(
            FormKind::ControlSlip,
            &format!("{}/{}", h.dossier_code, f.as_of),
        ),
        f.as_of,
    )
}

/// Biên lai thu phí, lệ phí: the payer's copy, with a QR code to fetch it again.
pub fn fee_receipt(f: &FeeReceiptForm) -> Vec<u8> {
    let mut s = Sheet::new();
    frame(
        &mut s,
        FormKind::FeeReceipt,
        &f.agency,
        &format!("{}/{}", f.series, f.number),
        f.paid_at,
    );
    s.para(
        Align::Center,
        Style::Italic,
        BODY,
        &format!(
            "Mẫu số: {}    Ký hiệu: {}    Số: {}",
            f.template, f.series, f.number
        ),
    );
    s.space(8.0);
    s.field("Đơn vị thu:", &f.collector, BODY);
    s.field("Người nộp:", &f.payer_name, BODY);
    s.field("Mã hồ sơ:", &f.dossier_code, BODY);
    s.field("Hình thức thanh toán:", &f.method, BODY);
    s.field("Thời điểm thanh toán:", &vn_time(f.paid_at), BODY);
    s.space(4.0);
    let mut rows: Vec<Vec<String>> = f
        .lines
        .iter()
        .enumerate()
        .map(|(i, (name, amount))| vec![(i + 1).to_string(), name.clone(), vnd(*amount)])
        .collect();
    rows.push(vec![String::new(), "Tổng cộng".into(), vnd(f.total_vnd)]);
    let w = WIDTH;
    s.table(
        &[0.08 * w, 0.62 * w, 0.30 * w],
        &["TT", "Nội dung thu", "Số tiền (đồng)"],
        &rows,
        12.0,
    );
    s.space(4.0);
    s.field("Số tiền bằng chữ:", &f.total_in_words, BODY);
    qr_block(
        &mut s,
        &f.url,
        "Quét mã QR để xem lại biên lai điện tử này.",
    );
    signatures(
        &mut s,
        Some(("Người nộp tiền", Some(&f.payer_name))),
        ("Người thu tiền", None),
    );
    legal_foot(
        &mut s,
        "Biên lai thu phí, lệ phí: Luật Phí và lệ phí số 97/2015/QH13; Nghị định số 123/2020/NĐ-CP (hóa đơn, chứng từ).",
        "Thể thức: Nghị định số 30/2020/NĐ-CP.",
    );
    s.finish(
        FormKind::FeeReceipt.title(),
        &file_id(FormKind::FeeReceipt, &format!("{}/{}", f.series, f.number)),
        f.paid_at,
    )
}
