// TEMPORARY placeholder; replaced by the real module.
use unicode_normalization::UnicodeNormalization;
pub fn nfc(s: &str) -> String {
    s.nfc().collect()
}
pub fn fold(s: &str) -> String {
    let mut out = String::new();
    for c in s.nfd() {
        if unicode_normalization::char::is_combining_mark(c) {
            continue;
        }
        let c = match c {
            'đ' | 'Đ' => 'd',
            c => c,
        };
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else {
            out.push(' ');
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}
