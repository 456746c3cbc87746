// TEMPORARY placeholder; replaced by the real module.
#[derive(serde::Serialize)]
pub struct Predecessor {
    pub name: String,
}
pub fn parse_formed_from(text: &str) -> Vec<Predecessor> {
    text.split(',')
        .map(|s| Predecessor {
            name: s.trim().to_string(),
        })
        .collect()
}
pub fn search_terms(p: &[Predecessor]) -> String {
    p.iter()
        .map(|x| super::text::fold(&x.name))
        .collect::<Vec<_>>()
        .join(" | ")
}
