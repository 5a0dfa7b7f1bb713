//! The articles' data downloads (ArcGIS Hub) cannot be reached here: the project's synthetic
//! samples (`notebooks/data/*.csv`) stand in for them, copied into the project folder under
//! `data/`, and each download URL in a cell or file is replaced by the sample's relative path.

use std::sync::OnceLock;

use regex::Regex;

use super::text::re;

/// The ArcGIS datasets the series reads, by dataset id: the sample for each.
const DATASETS: &[(&str, &str)] = &[
    (
        "f3277b5838814277afa3275671e632e5",
        "data/Motorized-Foot-Scooter-Trips-2020.csv",
    ),
    (
        "033311f71d5a4b98babaa2280b432a43",
        "data/Motorized-Foot-Scooter-Trips-2021.csv",
    ),
    (
        "aaf4274109f34ffd93ac71267c5b276e",
        "data/Motorized-Foot-Scooter-Trips-2018.csv",
    ),
];

fn url_re() -> &'static Regex {
    static URL: OnceLock<Regex> = OnceLock::new();
    re(
        &URL,
        r#"https://opendata\.arcgis\.com/api/v3/datasets/([0-9a-f]+)_0/downloads/data\?[^"'\s]*"#,
    )
}

/// Whether the article downloads one of the datasets.
pub fn uses_data(article: &str) -> bool {
    url_re().is_match(article)
}

/// The text with each known download URL replaced by its sample's path; the replacements made.
pub fn substitute(text: &str) -> (String, Vec<&'static str>) {
    let mut used = Vec::new();
    let replaced = url_re().replace_all(text, |c: &regex::Captures| {
        match DATASETS.iter().find(|(id, _)| *id == &c[1]) {
            Some((_, sample)) => {
                used.push(*sample);
                sample.to_string()
            }
            None => c[0].to_string(),
        }
    });
    (replaced.into_owned(), used)
}

/// The samples to copy: (file name, bytes).
pub fn samples() -> std::io::Result<Vec<(String, Vec<u8>)>> {
    let dir = crate::paths::notebooks_dir().join("data");
    let mut files = Vec::new();
    for entry in std::fs::read_dir(&dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "csv") {
            let name = path
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            files.push((name, std::fs::read(&path)?));
        }
    }
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn download_urls_become_the_samples() {
        let cell = "data_url = \"https://opendata.arcgis.com/api/v3/datasets/f3277b5838814277afa3275671e632e5_0/downloads/data?format=csv&spatialRefId=4326&where=1%3D1\"\nx = 1";
        let (text, used) = substitute(cell);
        assert_eq!(
            text,
            "data_url = \"data/Motorized-Foot-Scooter-Trips-2020.csv\"\nx = 1"
        );
        assert_eq!(used, ["data/Motorized-Foot-Scooter-Trips-2020.csv"]);
        assert!(uses_data(cell) && !uses_data("pd.read_csv('x.csv')"));
        assert!(samples()
            .unwrap()
            .iter()
            .any(|(n, _)| n == "Motorized-Foot-Scooter-Trips-2018.csv"));
    }
}
