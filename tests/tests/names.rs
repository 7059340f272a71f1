//! A model's feature and target names are read from the blob where they are ([`Names`]): in
//! order, with their count, and refused at load if they are not valid UTF-8.

use nowcast_runtime::{AlignedBytes, LoadError, Model, Names};
use nowcast_tests::surgery::fix_crc;
use nowcast_tests::{encode, sample_spec};

fn names(n: Names<'_>) -> Vec<&str> {
    n.iter().collect()
}

#[test]
fn names_read_back_in_order() {
    let mut spec = sample_spec();
    let features: Vec<String> = (0..spec.features.len())
        .map(|i| format!("chan_{i}_µ"))
        .collect();
    spec.features = features.clone();
    let blob = encode(&spec);
    let model = Model::from_bytes(blob.as_bytes()).expect("loads");
    let f = model.features();
    assert_eq!(f.len(), features.len());
    assert!(!f.is_empty());
    assert_eq!(names(f), features);
    assert_eq!(f.first(), Some(features[0].as_str()));
    assert_eq!(
        f.get(features.len() - 1),
        features.last().map(String::as_str)
    );
    assert_eq!(f.get(features.len()), None);
    assert_eq!(f.iter().len(), features.len());
    assert_eq!(names(model.targets()), spec.targets);
    assert_eq!(
        format!("{:?}", model.targets()),
        format!("{:?}", spec.targets)
    );
    // What follows the names (the window settings) still decodes.
    assert_eq!(model.lookback(), spec.lookback);
}

#[test]
fn a_name_that_is_not_utf8_is_refused() {
    let mut spec = sample_spec();
    spec.features[0] = "\u{e9}te".into();
    let blob = encode(&spec).as_bytes().to_vec();
    // The 2-byte UTF-8 of 'é' made invalid (a lone continuation byte), CRC fixed up.
    let at = blob
        .windows(2)
        .position(|w| w == [0xc3, 0xa9])
        .expect("the name is in the blob");
    let mut bad = blob.clone();
    bad[at] = 0xa9;
    fix_crc(&mut bad);
    let aligned = AlignedBytes::new(&bad);
    assert_eq!(
        Model::from_bytes(aligned.as_bytes()).err(),
        Some(LoadError::Metadata)
    );
}
