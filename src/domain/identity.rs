// TEMPORARY placeholder; replaced by the real module.
// The real module (on main) returns a typed error; take its version when merging.
#[allow(clippy::result_unit_err)]
pub fn validate_personal_id(id: &str, _birth_year: Option<i32>) -> Result<(), ()> {
    if id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(())
    }
}
