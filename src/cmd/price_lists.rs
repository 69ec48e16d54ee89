//! `costsim pricing import` and `costsim pricing check-against`: the catalog
//! next to the public price lists.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use chrono::{NaiveDate, Utc};
use serde_json::{json, Value};

use super::{emit, read_json, Exit};
use crate::cli::{PriceListArg, PricingCheckAgainstArgs, PricingImportArgs};
use crate::config::{format_of, load_catalog};
use crate::money::{display_count, Multiplier, Rate};
use crate::pricing::lists::{self, ImportMeta, ListKind, ListedModel, ListedRates};
use crate::pricing::{load_texts, CacheKind, Moment, Rates, EMBEDDED_FILES};
use crate::report::grid::{self, Grid};
use crate::report::Format;

fn date_arg(flag: &str, text: Option<&str>) -> anyhow::Result<Option<NaiveDate>> {
    text.map(|t| {
        NaiveDate::parse_from_str(t, "%Y-%m-%d")
            .map_err(|_| anyhow::anyhow!("--{flag}: `{t}` is not a date (YYYY-MM-DD)"))
    })
    .transpose()
}

pub fn import(args: PricingImportArgs) -> anyhow::Result<Exit> {
    let kind = match args.list {
        PriceListArg::Litellm => ListKind::Litellm,
        PriceListArg::GenaiPrices => ListKind::GenaiPrices,
    };
    let retrieved = date_arg("retrieved", args.retrieved.as_deref())?
        .unwrap_or_else(|| Utc::now().date_naive());
    let from = date_arg("from", args.from.as_deref())?.unwrap_or(retrieved);
    let catalog = load_catalog(args.catalog.pricing.as_deref())?;
    let value = read_json(&args.file)?;
    let listing =
        lists::parse(kind, &value).map_err(|e| anyhow::anyhow!("{}: {e}", args.file.display()))?;

    let wanted = |provider: &str| {
        args.provider
            .as_deref()
            .is_none_or(|p| provider.eq_ignore_ascii_case(p))
    };
    let mut reasons: BTreeMap<String, u64> = BTreeMap::new();
    for (_, provider, why) in &listing.left_out {
        if wanted(provider) {
            *reasons.entry(why.clone()).or_default() += 1;
        }
    }
    let mut seen = HashSet::new();
    let mut by_provider: BTreeMap<&str, Vec<&ListedModel>> = BTreeMap::new();
    for m in &listing.models {
        if !wanted(&m.provider) {
            continue;
        }
        let known = std::iter::once(&m.id)
            .chain(&m.aliases)
            .any(|name| catalog.resolve_index(name).is_some());
        let why = if known {
            Some("already in the catalog".to_string())
        } else if !std::iter::once(&m.id)
            .chain(&m.aliases)
            .all(|name| seen.insert(name.to_lowercase()))
        {
            Some("listed twice".to_string())
        } else {
            lists::unimportable(m)
        };
        match why {
            Some(why) => *reasons.entry(why).or_default() += 1,
            None => by_provider.entry(&m.provider).or_default().push(m),
        }
    }
    if by_provider.is_empty() {
        anyhow::bail!(
            "{}: no model to import{}",
            args.file.display(),
            describe(&reasons)
        );
    }
    let meta = ImportMeta {
        kind,
        file: &args.file.display().to_string(),
        retrieved,
        from,
    };
    let files: Vec<(String, String)> = by_provider
        .iter()
        .map(|(provider, models)| {
            (
                format!("imported-{}-{}.toml", kind.name(), file_safe(provider)),
                lists::catalog_toml(provider, models, &meta),
            )
        })
        .collect();
    // What is written must load: a failure here is a bug in the converter.
    load_texts(&files, "import")
        .map_err(|e| anyhow::anyhow!("the imported catalog does not load: {e}"))?;
    let imported: usize = by_provider.values().map(Vec::len).sum();
    match &args.out {
        Some(dir) => write_dir(dir, &files)?,
        None if files.len() == 1 => emit(None, |w| w.write_all(files[0].1.as_bytes()))?,
        None => anyhow::bail!(
            "{imported} models of {} providers ({}): give --provider P to print one, or --out DIR",
            files.len(),
            by_provider.keys().copied().collect::<Vec<_>>().join(", ")
        ),
    }
    crate::say!(
        "costsim: imported {} model{} of {} provider{}{}",
        display_count(imported as u64),
        if imported == 1 { "" } else { "s" },
        files.len(),
        if files.len() == 1 { "" } else { "s" },
        describe(&reasons)
    );
    Ok(Exit::Ok)
}

/// `; left out: 12 already in the catalog, 3 no context window`.
fn describe(reasons: &BTreeMap<String, u64>) -> String {
    if reasons.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = reasons
        .iter()
        .map(|(why, n)| format!("{} {why}", display_count(*n)))
        .collect();
    format!("; left out: {}", parts.join(", "))
}

fn file_safe(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}

/// Writes the imported files, and the built-in catalog's files when `dir`
/// holds no catalog yet, so `--pricing DIR` has both.
fn write_dir(dir: &Path, files: &[(String, String)]) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)
        .map_err(|e| anyhow::anyhow!("{}: cannot create directory: {e}", dir.display()))?;
    let has_catalog = std::fs::read_dir(dir)
        .map_err(|e| anyhow::anyhow!("{}: cannot read directory: {e}", dir.display()))?
        .filter_map(Result::ok)
        .any(|e| e.path().extension().is_some_and(|x| x == "toml"));
    let mut written: Vec<(PathBuf, &str)> = files
        .iter()
        .map(|(name, text)| (dir.join(name), text.as_str()))
        .collect();
    if !has_catalog {
        written.extend(
            EMBEDDED_FILES
                .iter()
                .map(|(name, text)| (dir.join(name), *text)),
        );
    }
    for (path, text) in &written {
        std::fs::write(path, text)
            .map_err(|e| anyhow::anyhow!("{}: cannot write: {e}", path.display()))?;
        crate::say!("costsim: wrote {}", path.display());
    }
    Ok(())
}

/// `1 entry`, `2 entries`.
fn count(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", display_count(n), if n == 1 { one } else { many })
}

/// One price on which the catalog and the list disagree.
struct Disagreement {
    model: String,
    entry: String,
    /// `input`, `above 200000: output`, `batch_multiplier`, …
    field: String,
    /// Prices (USD per million tokens) or, for the batch share, multipliers.
    catalog: String,
    list: String,
    /// Whether the two values are prices (for the JSON's `_usd_per_mtok`).
    is_rate: bool,
}

pub fn check_against(args: PricingCheckAgainstArgs) -> anyhow::Result<Exit> {
    let date = date_arg("date", args.date.as_deref())?;
    let catalog = load_catalog(args.catalog.pricing.as_deref())?;
    let value = read_json(&args.file)?;
    let kind = ListKind::detect(&value).ok_or_else(|| {
        anyhow::anyhow!(
            "{}: neither a LiteLLM list (JSON object) nor a genai-prices list (JSON array)",
            args.file.display()
        )
    })?;
    let listing =
        lists::parse(kind, &value).map_err(|e| anyhow::anyhow!("{}: {e}", args.file.display()))?;
    let mut compared = 0u64;
    let mut other_provider = 0u64;
    let mut unknown = 0u64;
    let mut found = Vec::new();
    for m in &listing.models {
        let Some(model) = catalog.resolve(&m.id) else {
            unknown += 1;
            continue;
        };
        // The same model sold by a cloud or a router may cost something else.
        if model.provider != m.provider {
            other_provider += 1;
            continue;
        }
        let Some(listed) = lists::period_at(m, date) else {
            continue;
        };
        let period = match date {
            Some(d) => &model.periods[model.period_index(Moment::day(d)).0],
            None => &model.periods[model.periods.len() - 1],
        };
        compared += 1;
        let mut differ = |field: String, catalog: String, list: String, is_rate: bool| {
            found.push(Disagreement {
                model: model.id.clone(),
                entry: m.id.clone(),
                field,
                catalog,
                list,
                is_rate,
            })
        };
        for (field, list, ours) in differing(&listed.rates, &period.rates, model.cache.kind) {
            differ(field.to_string(), ours.to_string(), list.to_string(), true);
        }
        // Long-context tiers: each threshold the list prices, at the same
        // threshold in the catalog. Lists fill a tier's missing cache prices
        // from the base ones, so only its input and output are compared.
        for (threshold, list_tier) in &listed.tiers {
            let list_tier = ListedRates {
                input: list_tier.input.clone(),
                output: list_tier.output.clone(),
                cache_read: None,
                cache_write_5m: None,
                cache_write_1h: None,
            };
            // xAI bills "≥ 200K" (above 199,999) where lists say "above
            // 200k": a threshold one token apart is the same tier.
            match period
                .tiers
                .iter()
                .find(|t| t.above_prompt_tokens.abs_diff(*threshold) <= 1)
            {
                Some(ours) => {
                    for (field, list, our) in differing(&list_tier, &ours.rates, model.cache.kind) {
                        differ(
                            format!("above {threshold}: {field}"),
                            our.to_string(),
                            list.to_string(),
                            true,
                        );
                    }
                }
                None => differ(
                    format!("tier above {threshold}"),
                    "none".to_string(),
                    ListedRates::rate(&list_tier.input)
                        .map_or_else(|| "listed".to_string(), |r| format!("input {r}")),
                    false,
                ),
            }
        }
        // The batch share of the standard price.
        if let Some(list) = listed.batch_multiplier.as_deref() {
            let list_share = Multiplier::parse(list).ok();
            if list_share.is_some() && list_share != period.batch_multiplier {
                differ(
                    "batch_multiplier".to_string(),
                    period
                        .batch_multiplier
                        .map_or_else(|| "none".to_string(), |m| m.to_string()),
                    list.to_string(),
                    false,
                );
            }
        }
    }
    found.sort_by(|a, b| (&a.model, &a.entry, &a.field).cmp(&(&b.model, &b.entry, &b.field)));
    let differing_entries = found
        .iter()
        .map(|d| (&d.model, &d.entry))
        .collect::<HashSet<_>>()
        .len() as u64;
    let summary = format!(
        "{} compared with the catalog ({}): {} differ{} in {}; skipped {} of other providers and {} not in the catalog",
        count(compared, &format!("{} entry", kind.name()), &format!("{} entries", kind.name())),
        date.map_or_else(|| "newest prices".to_string(), |d| format!("prices of {d}")),
        display_count(differing_entries),
        if differing_entries == 1 { "s" } else { "" },
        count(found.len() as u64, "price", "prices"),
        count(other_provider, "entry", "entries"),
        count(unknown, "model", "models"),
    );
    let mut table = Grid::titled(&["Model", "List entry", "Price", "Catalog", "List"], 3);
    for d in &found {
        table.push(vec![
            d.model.clone(),
            d.entry.clone(),
            d.field.clone(),
            d.catalog.clone(),
            d.list.clone(),
        ]);
    }
    let format = format_of(args.output.format());
    emit(args.out.as_deref(), |w| match format {
        Format::Table => {
            writeln!(w, "{summary}")?;
            if !found.is_empty() {
                writeln!(w)?;
                grid::write_table(&table, w)?;
            }
            Ok(())
        }
        Format::Markdown => {
            writeln!(w, "{}\n", grid::escape_markdown(&summary))?;
            if !found.is_empty() {
                grid::write_markdown(&table, w)?;
            }
            Ok(())
        }
        Format::Csv => grid::write_csv(&table, w),
        Format::Json => {
            let rows: Vec<Value> = found
                .iter()
                .map(|d| {
                    json!({
                        "model": d.model,
                        "list_entry": d.entry,
                        "price": d.field,
                        "catalog": d.catalog,
                        "list": d.list,
                        "catalog_usd_per_mtok": d.is_rate.then(|| d.catalog.trim_start_matches('$').to_string()),
                        "list_usd_per_mtok": d.is_rate.then(|| d.list.trim_start_matches('$').to_string()),
                    })
                })
                .collect();
            let doc = json!({
                "schema_version": 1,
                "list": kind.name(),
                "compared": compared,
                "other_provider": other_provider,
                "not_in_catalog": unknown,
                "differences": rows,
            });
            writeln!(
                w,
                "{}",
                serde_json::to_string_pretty(&doc).unwrap_or_default()
            )
        }
    })?;
    Ok(if found.is_empty() {
        Exit::Ok
    } else {
        Exit::CheckFailed
    })
}

/// Prices the list gives that differ from what the catalog bills for the
/// same kind of token (a cache price the catalog lacks is billed as input).
/// Write prices are compared only for explicit caches: an automatic cache
/// bills its writes as input, whatever the list says a write costs.
fn differing(
    listed: &ListedRates,
    ours: &Rates,
    kind: CacheKind,
) -> Vec<(&'static str, Rate, Rate)> {
    let read = ours.cache_read.unwrap_or(ours.input);
    let write_5m = ours.cache_write_5m.unwrap_or(ours.input);
    let write_1h = ours.cache_write_1h.unwrap_or(write_5m);
    [
        ("input", &listed.input, ours.input),
        ("output", &listed.output, ours.output),
        ("cache_read", &listed.cache_read, read),
        ("cache_write_5m", &listed.cache_write_5m, write_5m),
        ("cache_write_1h", &listed.cache_write_1h, write_1h),
    ]
    .into_iter()
    .filter(|(field, _, _)| kind == CacheKind::Explicit || !field.starts_with("cache_write"))
    .filter_map(|(field, text, ours)| {
        let list = ListedRates::rate(text)?;
        (list != ours).then_some((field, list, ours))
    })
    .collect()
}
