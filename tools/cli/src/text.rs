//! `nowcast train --task text`: labelled texts to a classifier blob (token ids into an
//! Embedding), scored through the runtime against the majority-class baseline.

use std::path::Path;

use anyhow::{Context, Result, bail};
use clap::Args;
use nowcast_runtime::{AlignedBytes, Model};
use nowcast_trainer::classify::ClassScores;
use nowcast_trainer::data::Split;
use nowcast_trainer::text::{self, Encoding, EncodingReport, TextConfig, TextSet, Texts};
use nowcast_trainer::train::fit::Examples;
use nowcast_trainer::train::{History, ModelToml, TrainModel};
use serde::Serialize;

use crate::classify::{
    ClassQuantJson, ClassReport, finish, print_scores, quantize_classifier, train_classifier,
};
use crate::quantize::QuantizeArgs;
use crate::train::{TrainArgs, fit_config};

/// `metrics.json` of a text classifier.
#[derive(Debug, Clone, Serialize)]
pub struct TextMetrics {
    pub task: &'static str,
    /// `vocabulary` or `hashing`.
    pub input: String,
    /// Ids (the Embedding's `input_dim`).
    pub ids: usize,
    pub length: usize,
    pub encoding: EncodingReport,
    /// With --embeddings: vocabulary tokens that have a vector, and how many there are.
    pub vectors_found: Option<usize>,
    pub vectors_wanted: Option<usize>,
    pub frozen_embeddings: bool,
    #[serde(flatten)]
    pub scores: ClassReport,
    pub texts: [usize; 3],
    pub epochs_run: usize,
    pub best_epoch: usize,
    pub seconds_per_epoch: f64,
    pub params: usize,
    pub history: History,
}

/// How texts become token ids (`train` and `quantize` with `--task text`; quantize needs train's).
#[derive(Debug, Clone, Args)]
pub struct TextArgs {
    /// Text: the column holding each row's text.
    #[arg(long, default_value = "text")]
    pub text_column: String,
    /// Text: vocabulary size (the most frequent training tokens; ids 0 and 1 are padding and
    /// unknown).
    #[arg(long, default_value_t = 10_000)]
    pub vocab: usize,
    /// Text: the hashing trick with this many ids instead of a vocabulary.
    #[arg(long)]
    pub hashing: Option<u16>,
}

impl TextArgs {
    /// The texts of `data` and their examples, split by `split` with `seed`.
    fn load(
        &self,
        data: &Path,
        label_column: &str,
        split: &[f64],
        seed: u64,
        length: Option<usize>,
    ) -> Result<(Texts, TextSet)> {
        let texts = text::read_text_csv(data, &self.text_column, label_column)?;
        let [s0, s1, s2] = split[..] else {
            bail!("--split needs three fractions, e.g. 0.6,0.2,0.2")
        };
        let cfg = TextConfig {
            hashing: self.hashing,
            max_tokens: self.vocab,
            length,
            split: [s0, s1, s2],
            seed,
        };
        let set = TextSet::new(&texts, &cfg)?;
        Ok((texts, set))
    }
}

/// The whole text command; returns the metrics.
pub fn run(a: &TrainArgs) -> Result<TextMetrics> {
    if a.sequences.test.is_some() {
        bail!("texts are split by --split; --test is for --task classify");
    }
    let (texts, set) = a.text.load(
        &a.data.data,
        &a.sequences.columns.label_column,
        &a.data.split,
        a.seed,
        a.length,
    )?;
    let ids = set.encoding().ids();
    let input = match set.encoding() {
        Encoding::Vocabulary { .. } => "vocabulary",
        Encoding::Hashing { .. } => "hashing",
    };
    let r = set.report();
    outln!(
        "{} texts, {} classes ({}); {input}: {ids} ids; {} distinct training tokens, {:.1}% of \
         token occurrences unknown, {} hash collisions; {} ids per text; train {}, val {}, test {}",
        texts.texts.len(),
        set.classes().len(),
        set.classes().join(", "),
        r.distinct_tokens,
        r.unknown_share * 100.0,
        r.collisions,
        set.length(),
        set.ids(Split::Train).len(),
        set.ids(Split::Val).len(),
        set.ids(Split::Test).len(),
    );
    let vectors = match (&a.embeddings, set.encoding()) {
        (None, _) => None,
        (Some(_), Encoding::Hashing { .. }) => {
            bail!("--embeddings needs a vocabulary (not --hashing): vectors are looked up by word")
        }
        (Some(p), Encoding::Vocabulary { tokens }) => {
            let v = text::read_vectors(p, tokens)?;
            outln!(
                "{}: {}-value vectors for {} of {} vocabulary tokens ({:.1}%)",
                p.display(),
                v.dim,
                v.found,
                v.wanted,
                v.found as f64 * 100.0 / v.wanted.max(1) as f64
            );
            Some(v)
        }
    };
    let mut spec = ModelToml::load(&a.model)?;
    match spec.layers.first_mut() {
        Some(first) if first.kind == "embedding" => {
            let need = u32::try_from(ids)?;
            match first.input_dim {
                None => first.input_dim = Some(need),
                Some(d) if d < need => {
                    bail!("the embedding's input_dim {d} is below the {need} ids of the input")
                }
                Some(_) => {}
            }
            if let Some(v) = &vectors {
                let dim = u32::try_from(v.dim)?;
                match first.output_dim {
                    None => first.output_dim = Some(dim),
                    Some(d) if d != dim => {
                        bail!("the embedding's output_dim {d} differs from the vectors' {dim}")
                    }
                    Some(_) => {}
                }
            }
        }
        _ => bail!("token ids go into an embedding layer first"),
    }
    let mut fit = fit_config(a);
    let built = spec.build(1, set.length(), fit.seed)?;
    let mut model = TrainModel::new(built);
    if let Some(v) = &vectors {
        // The Embedding's table comes first in the parameters; ids past the vocabulary (an
        // input_dim above it) keep their initialization.
        model.params[..v.table.len()].copy_from_slice(&v.table);
        if a.freeze_embeddings {
            fit.frozen = std::iter::once(0..v.table.len()).collect();
        }
    } else if a.freeze_embeddings {
        bail!("--freeze-embeddings needs --embeddings");
    }
    let (bytes, history) = train_classifier(
        a,
        &mut model,
        fit,
        &set,
        (set.classes(), set.labels()),
        |m, name| set.model_spec(m, name),
    )?;
    let val: ClassScores = text::score(&bytes, &set, Split::Val)?;
    let test = text::score(&bytes, &set, Split::Test)?;
    print_scores(set.classes(), set.majority_class(), &val, &test);
    let metrics = TextMetrics {
        task: "text",
        input: input.to_string(),
        ids,
        length: set.length(),
        encoding: set.report().clone(),
        vectors_found: vectors.as_ref().map(|v| v.found),
        vectors_wanted: vectors.as_ref().map(|v| v.wanted),
        frozen_embeddings: a.freeze_embeddings,
        scores: ClassReport::new(set.classes(), &val, &test),
        texts: Split::ALL.map(|s| set.ids(s).len()),
        epochs_run: history.epochs_run(),
        best_epoch: history.best_epoch,
        seconds_per_epoch: history.seconds_per_epoch(),
        params: model.param_count(),
        history,
    };
    finish(
        a.report.as_deref(),
        &metrics,
        &metrics.scores,
        &metrics.history,
    )?;
    Ok(metrics)
}

/// `nowcast quantize --task text`: the texts are encoded again with train's flags (the
/// vocabulary is rebuilt from the same training split), checked against the model's Embedding,
/// then as [`crate::classify::quantize`].
pub fn quantize(a: &QuantizeArgs) -> Result<ClassQuantJson> {
    let float_blob =
        std::fs::read(&a.model).with_context(|| format!("reading {}", a.model.display()))?;
    let aligned = AlignedBytes::new(&float_blob);
    let model = Model::from_bytes(aligned.as_bytes())
        .map_err(|e| anyhow::anyhow!("{}: invalid model: {e:?}", a.model.display()))?;
    let (_, set) = a.text.load(
        &a.data.data,
        &a.sequences.columns.label_column,
        &a.data.split,
        a.seed,
        Some(model.lookback() as usize),
    )?;
    // A model trained before vocabularies were stored has none: then only the ids are compared.
    if let (Encoding::Vocabulary { tokens }, Some(saved)) =
        (set.encoding(), model.vocabulary_tokens())
        && saved != *tokens
    {
        bail!(
            "the vocabulary rebuilt from the texts differs from {}'s: give the --vocab, --split \
             and --seed that train had",
            a.model.display()
        );
    }
    let Some(vocab) = model.vocab() else {
        bail!(
            "{}: not a token model (its first layer is not an Embedding)",
            a.model.display()
        )
    };
    if set.encoding().ids() != vocab as usize {
        bail!(
            "the texts encode to {} ids, the model's Embedding takes {vocab}: give the --vocab, \
             --hashing, --split and --seed that train had",
            set.encoding().ids()
        );
    }
    quantize_classifier(a, &float_blob, &set, set.classes().len(), |blob, split| {
        Ok(text::score(blob, &set, split)?)
    })
}
