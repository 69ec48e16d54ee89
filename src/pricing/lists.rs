//! Public price lists read as data: LiteLLM's
//! `model_prices_and_context_window.json` and genai-prices' `data.json`.
//! `costsim pricing import` turns their models into catalog TOML, and
//! `costsim pricing check-against` compares them with the catalog.
//!
//! Prices become exact decimals in USD per million tokens: a list's float is
//! printed in its shortest round-trip form (`3e-06` prints `0.000003`) and
//! the decimal point moved, so no binary rounding reaches the catalog.

use chrono::NaiveDate;
use serde_json::{Map, Value};

use crate::money::Rate;

/// Which list a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListKind {
    Litellm,
    GenaiPrices,
}

impl ListKind {
    pub fn name(self) -> &'static str {
        match self {
            ListKind::Litellm => "litellm",
            ListKind::GenaiPrices => "genai-prices",
        }
    }

    /// LiteLLM's file is an object keyed by model, genai-prices' an array of
    /// providers.
    pub fn detect(value: &Value) -> Option<ListKind> {
        match value {
            Value::Object(_) => Some(ListKind::Litellm),
            Value::Array(_) => Some(ListKind::GenaiPrices),
            _ => None,
        }
    }
}

/// Prices of one kind of token, as decimal text in USD per million tokens.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListedRates {
    pub input: Option<String>,
    pub output: Option<String>,
    pub cache_read: Option<String>,
    pub cache_write_5m: Option<String>,
    pub cache_write_1h: Option<String>,
}

impl ListedRates {
    /// `(catalog field, value)` for each price given.
    pub fn fields(&self) -> Vec<(&'static str, &str)> {
        [
            ("input", &self.input),
            ("output", &self.output),
            ("cache_read", &self.cache_read),
            ("cache_write_5m", &self.cache_write_5m),
            ("cache_write_1h", &self.cache_write_1h),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.as_deref().map(|v| (k, v)))
        .collect()
    }

    pub fn rate(text: &Option<String>) -> Option<Rate> {
        Rate::parse_usd_per_mtok(text.as_deref()?).ok()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedPeriod {
    /// `None`: no start date in the list.
    pub start: Option<NaiveDate>,
    pub rates: ListedRates,
    /// Rates for the whole request above a prompt size.
    pub tiers: Vec<(u64, ListedRates)>,
    /// Batch price as a share of the standard price, e.g. "0.5".
    pub batch_multiplier: Option<String>,
}

/// One model of a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedModel {
    /// The list's name for it, without a `provider/` prefix naming its own
    /// provider.
    pub id: String,
    /// Other names: the list's full name when a prefix was dropped.
    pub aliases: Vec<String>,
    /// The list's provider, mapped to the catalog's name where one matches.
    pub provider: String,
    pub context_window: Option<u64>,
    pub max_output: Option<u64>,
    /// Oldest first.
    pub periods: Vec<ListedPeriod>,
}

/// Models of the list, in the list's order, and what was left out with why.
#[derive(Debug, Default)]
pub struct Listing {
    pub models: Vec<ListedModel>,
    /// `(model, provider, reason)`.
    pub left_out: Vec<(String, String, String)>,
}

/// The catalog's provider name for a list's provider, if it has one.
/// genai-prices' `zhipuai` is Zhipu's mainland-China platform (BigModel),
/// whose prices are not Z.ai's: it stays a provider of its own, so its
/// entries are never compared with the catalog's `zai` models.
fn catalog_provider(name: &str) -> String {
    match name {
        "text-completion-openai" => "openai",
        "gemini" => "google",
        "x_ai" | "x-ai" => "xai",
        "dashscope" => "alibaba",
        "moonshotai" => "moonshot",
        other => other,
    }
    .to_string()
}

/// Moves the decimal point of `text` (plain decimal digits) `places` to the
/// right: `("0.000003", 6)` -> `"3"`.
fn shift_decimal(text: &str, places: usize) -> Option<String> {
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    if whole.is_empty()
        || !whole
            .bytes()
            .chain(frac.bytes())
            .all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let mut frac = frac.to_string();
    while frac.len() < places {
        frac.push('0');
    }
    let (moved, rest) = frac.split_at(places);
    let digits = format!("{whole}{moved}");
    let digits = digits.trim_start_matches('0');
    let digits = if digits.is_empty() { "0" } else { digits };
    let rest = rest.trim_end_matches('0');
    Some(if rest.is_empty() {
        digits.to_string()
    } else {
        format!("{digits}.{rest}")
    })
}

/// A JSON number as plain decimal text, shifted `places` to the right.
fn price(value: &Value, places: usize) -> Option<String> {
    let f = value.as_f64().filter(|f| f.is_finite() && *f >= 0.0)?;
    shift_decimal(&format!("{f}"), places)
}

pub fn parse(kind: ListKind, value: &Value) -> Result<Listing, String> {
    match kind {
        ListKind::Litellm => value
            .as_object()
            .map(litellm)
            .ok_or_else(|| "a LiteLLM price list is a JSON object keyed by model".to_string()),
        ListKind::GenaiPrices => value
            .as_array()
            .map(|a| genai_prices(a))
            .ok_or_else(|| "a genai-prices list is a JSON array of providers".to_string()),
    }
}

fn litellm(entries: &Map<String, Value>) -> Listing {
    let mut listing = Listing::default();
    for (key, entry) in entries {
        if key == "sample_spec" {
            continue;
        }
        let mode = entry.get("mode").and_then(Value::as_str).unwrap_or("chat");
        if !matches!(mode, "chat" | "completion" | "responses") {
            continue;
        }
        let per_m = |field: &str| entry.get(field).and_then(|v| price(v, 6));
        let rates = |suffix: &str| ListedRates {
            input: per_m(&format!("input_cost_per_token{suffix}")),
            output: per_m(&format!("output_cost_per_token{suffix}")),
            cache_read: per_m(&format!("cache_read_input_token_cost{suffix}")),
            cache_write_5m: per_m(&format!("cache_creation_input_token_cost{suffix}")),
            cache_write_1h: per_m(&format!(
                "cache_creation_input_token_cost_above_1hr{suffix}"
            )),
        };
        let base = rates("");
        let provider = entry
            .get("litellm_provider")
            .and_then(Value::as_str)
            .unwrap_or("unknown");
        if base.input.is_none() || base.output.is_none() {
            listing.left_out.push((
                key.clone(),
                catalog_provider(provider),
                "no input or output price".into(),
            ));
            continue;
        }
        let mut tiers = Vec::new();
        for (label, threshold) in tier_thresholds(entry) {
            let t = rates(&format!("_above_{label}_tokens"));
            if t.input.is_some() || t.output.is_some() {
                tiers.push((threshold, with_base(t, &base)));
            }
        }
        let batch_multiplier = batch_share(
            &base,
            per_m("input_cost_per_token_batches"),
            per_m("output_cost_per_token_batches"),
        );
        let count = |field: &str| entry.get(field).and_then(Value::as_u64);
        let (id, aliases) = match key.strip_prefix(&format!("{provider}/")) {
            Some(bare) if !bare.is_empty() => (bare.to_string(), vec![key.clone()]),
            _ => (key.clone(), Vec::new()),
        };
        listing.models.push(ListedModel {
            id,
            aliases,
            provider: catalog_provider(provider),
            context_window: count("max_input_tokens").or_else(|| count("max_tokens")),
            max_output: count("max_output_tokens"),
            periods: vec![ListedPeriod {
                start: None,
                rates: base,
                tiers,
                batch_multiplier,
            }],
        });
    }
    listing
}

/// The long-context thresholds a LiteLLM entry prices, ascending: every
/// `input_cost_per_token_above_<N>k_tokens` (or `…_<N>m_tokens`, and the
/// same for output), as `(label, tokens)`.
fn tier_thresholds(entry: &Value) -> Vec<(String, u64)> {
    let Some(fields) = entry.as_object() else {
        return Vec::new();
    };
    let mut found: Vec<(String, u64)> = fields
        .keys()
        .filter_map(|k| {
            let label = k
                .strip_prefix("input_cost_per_token_above_")
                .or_else(|| k.strip_prefix("output_cost_per_token_above_"))?
                .strip_suffix("_tokens")?;
            let (digits, unit) = label.split_at(label.len().checked_sub(1)?);
            let scale = match unit {
                "k" => 1_000,
                "m" => 1_000_000,
                _ => return None,
            };
            let n: u64 = digits.parse().ok()?;
            Some((label.to_string(), n.checked_mul(scale)?))
        })
        .collect();
    found.sort_by_key(|(_, tokens)| *tokens);
    found.dedup();
    found
}

/// A tier repeats the prices it does not change.
fn with_base(tier: ListedRates, base: &ListedRates) -> ListedRates {
    ListedRates {
        input: tier.input.or_else(|| base.input.clone()),
        output: tier.output.or_else(|| base.output.clone()),
        cache_read: tier.cache_read.or_else(|| base.cache_read.clone()),
        cache_write_5m: tier.cache_write_5m.or_else(|| base.cache_write_5m.clone()),
        cache_write_1h: tier.cache_write_1h.or_else(|| base.cache_write_1h.clone()),
    }
}

/// The batch price as one share of both input and output (what the catalog
/// can say), in thousandths; `None` when absent or not one exact share.
fn batch_share(
    base: &ListedRates,
    input: Option<String>,
    output: Option<String>,
) -> Option<String> {
    let share = |batch: Option<String>, standard: &Option<String>| -> Option<i64> {
        let b = Rate::parse_usd_per_mtok(&batch?).ok()?.nano_per_mtok();
        let s = ListedRates::rate(standard)?.nano_per_mtok();
        (s > 0 && (b * 1000) % s == 0).then(|| b * 1000 / s)
    };
    let i = share(input, &base.input)?;
    let o = share(output, &base.output)?;
    (i == o && i > 0 && i <= 1000).then(|| {
        let text = format!("{}.{:03}", i / 1000, i % 1000);
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    })
}

fn genai_prices(providers: &[Value]) -> Listing {
    let mut listing = Listing::default();
    for p in providers {
        let provider = p.get("id").and_then(Value::as_str).unwrap_or("unknown");
        let Some(models) = p.get("models").and_then(Value::as_array) else {
            continue;
        };
        for m in models {
            let Some(id) = m.get("id").and_then(Value::as_str) else {
                continue;
            };
            match genai_periods(m.get("prices")) {
                Ok(periods) => listing.models.push(ListedModel {
                    id: id.to_string(),
                    aliases: Vec::new(),
                    provider: catalog_provider(provider),
                    context_window: m.get("context_window").and_then(Value::as_u64),
                    max_output: None,
                    periods,
                }),
                Err(reason) => {
                    listing
                        .left_out
                        .push((id.to_string(), catalog_provider(provider), reason))
                }
            }
        }
    }
    listing
}

/// `prices` is one price set, or a list of them each with an optional
/// `constraint` (a start date; time-of-day constraints are not expressible
/// in the catalog).
fn genai_periods(prices: Option<&Value>) -> Result<Vec<ListedPeriod>, String> {
    let sets: Vec<(Option<&Value>, &Value)> = match prices {
        Some(Value::Array(list)) => list
            .iter()
            .map(|item| {
                (
                    item.get("constraint"),
                    item.get("prices").unwrap_or(&Value::Null),
                )
            })
            .collect(),
        Some(set @ Value::Object(_)) => vec![(None, set)],
        _ => return Err("no prices".into()),
    };
    let mut periods = Vec::new();
    for (constraint, set) in sets {
        let start = match constraint {
            None => None,
            Some(c) => {
                let only_date = c
                    .as_object()
                    .is_some_and(|o| o.keys().all(|k| k == "start_date"));
                if !only_date {
                    return Err("prices depend on the time of day".into());
                }
                let text = c.get("start_date").and_then(Value::as_str).unwrap_or("");
                Some(
                    NaiveDate::parse_from_str(text, "%Y-%m-%d")
                        .map_err(|_| format!("start_date `{text}` is not a date"))?,
                )
            }
        };
        let (rates, tiers) = genai_rates(set)?;
        periods.push(ListedPeriod {
            start,
            rates,
            tiers,
            batch_multiplier: None,
        });
    }
    periods.sort_by_key(|p| p.start);
    Ok(periods)
}

/// One price set: each field a number or `{base, tiers: [{start, price}]}`.
fn genai_rates(set: &Value) -> Result<(ListedRates, Vec<(u64, ListedRates)>), String> {
    let field = |name: &str| -> (Option<String>, Vec<(u64, String)>) {
        match set.get(name) {
            Some(Value::Object(o)) => {
                let base = o.get("base").and_then(|v| price(v, 0));
                let tiers = o
                    .get("tiers")
                    .and_then(Value::as_array)
                    .map(|ts| {
                        ts.iter()
                            .filter_map(|t| {
                                Some((t.get("start")?.as_u64()?, price(t.get("price")?, 0)?))
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                (base, tiers)
            }
            Some(v) => (price(v, 0), Vec::new()),
            None => (None, Vec::new()),
        }
    };
    let (input, input_tiers) = field("input_mtok");
    let (output, output_tiers) = field("output_mtok");
    let (cache_read, read_tiers) = field("cache_read_mtok");
    let (cache_write, write_tiers) = field("cache_write_mtok");
    if input.is_none() || output.is_none() {
        return Err("no input or output price".into());
    }
    let base = ListedRates {
        input,
        output,
        cache_read,
        cache_write_5m: cache_write,
        cache_write_1h: None,
    };
    let mut thresholds: Vec<u64> = input_tiers
        .iter()
        .chain(&output_tiers)
        .chain(&read_tiers)
        .chain(&write_tiers)
        .map(|(start, _)| *start)
        .collect();
    thresholds.sort_unstable();
    thresholds.dedup();
    let at = |tiers: &[(u64, String)], start: u64, base: &Option<String>| {
        tiers
            .iter()
            .rev()
            .find(|(s, _)| *s <= start)
            .map(|(_, p)| p.clone())
            .or_else(|| base.clone())
    };
    let tiers = thresholds
        .into_iter()
        .map(|start| {
            (
                start,
                ListedRates {
                    input: at(&input_tiers, start, &base.input),
                    output: at(&output_tiers, start, &base.output),
                    cache_read: at(&read_tiers, start, &base.cache_read),
                    cache_write_5m: at(&write_tiers, start, &base.cache_write_5m),
                    cache_write_1h: None,
                },
            )
        })
        .collect();
    Ok((base, tiers))
}

/// How imported models are dated and attributed.
pub struct ImportMeta<'a> {
    pub kind: ListKind,
    /// The file the list was read from, as given.
    pub file: &'a str,
    /// When the list was downloaded: each period's `retrieved`.
    pub retrieved: NaiveDate,
    /// The first day the imported prices apply.
    pub from: NaiveDate,
}

/// TOML quoting (escapes included).
fn quoted(text: &str) -> String {
    toml::Value::String(text.to_string()).to_string()
}

/// The periods of `model` from `meta.from` on: the price in effect on that
/// day, then each later change.
fn dated_periods(model: &ListedModel, from: NaiveDate) -> Vec<(NaiveDate, &ListedPeriod)> {
    let mut out: Vec<(NaiveDate, &ListedPeriod)> = Vec::new();
    for p in &model.periods {
        match p.start {
            Some(start) if start > from => out.push((start, p)),
            _ => {
                out.retain(|(d, _)| *d > from);
                out.insert(0, (from, p));
            }
        }
    }
    out
}

fn rates_toml(out: &mut String, rates: &ListedRates) {
    for (field, value) in rates.fields() {
        out.push_str(&format!("{field} = {value}\n"));
    }
}

/// One catalog file for `provider` holding `models` (each already checked to
/// have a context window and prices the catalog can hold).
pub fn catalog_toml(provider: &str, models: &[&ListedModel], meta: &ImportMeta) -> String {
    let source = format!(
        "{} price list {} (imported by costsim pricing import)",
        meta.kind.name(),
        meta.file
    );
    let mut out = format!(
        "# Imported by `costsim pricing import {} {}` from a list retrieved {}.\n\
         # Prices are the list's, in USD per million tokens. The list gives no cache rules: models\n\
         # with cache write prices are marked explicit, with only a read price automatic, each with\n\
         # an assumed 1,024-token minimum and 5-minute TTL. Check them before relying on cache what-ifs.\n\
         provider = {}\nname = {}\n",
        meta.kind.name(),
        meta.file,
        meta.retrieved,
        quoted(provider),
        quoted(&format!("{provider} (imported from {})", meta.kind.name())),
    );
    for m in models {
        let periods = dated_periods(m, meta.from);
        out.push_str(&format!("\n[[models]]\nid = {}\n", quoted(&m.id)));
        if !m.aliases.is_empty() {
            let names: Vec<String> = m.aliases.iter().map(|a| quoted(a)).collect();
            out.push_str(&format!("aliases = [{}]\n", names.join(", ")));
        }
        out.push_str(&format!(
            "context_window = {}\n",
            m.context_window.unwrap_or(0)
        ));
        if let Some(max) = m.max_output {
            out.push_str(&format!("max_output = {max}\n"));
        }
        let any = |f: &dyn Fn(&ListedRates) -> bool| {
            periods
                .iter()
                .any(|(_, p)| f(&p.rates) || p.tiers.iter().any(|(_, t)| f(t)))
        };
        let writes = any(&|r| r.cache_write_5m.is_some() || r.cache_write_1h.is_some());
        let reads = any(&|r| r.cache_read.is_some());
        let kind = if writes {
            "explicit"
        } else if reads {
            "automatic"
        } else {
            "none"
        };
        out.push_str(&format!("\n[models.cache]\nkind = \"{kind}\"\n"));
        if kind != "none" {
            let long = any(&|r| r.cache_write_1h.is_some());
            out.push_str(&format!(
                "min_tokens = 1024\nttls = {}\n",
                if long { "[\"5m\", \"1h\"]" } else { "[\"5m\"]" }
            ));
        }
        out.push_str(&format!(
            "source = {}\n",
            quoted(&format!(
                "assumed by costsim pricing import ({} gives no cache rules)",
                meta.kind.name()
            ))
        ));
        for (i, (from, p)) in periods.iter().enumerate() {
            out.push_str(&format!("\n[[models.periods]]\nfrom = \"{from}\"\n"));
            if let Some((until, _)) = periods.get(i + 1) {
                out.push_str(&format!("until = \"{until}\"\n"));
            }
            let mut rates = p.rates.clone();
            fill_cache_fields(&mut rates, kind);
            rates_toml(&mut out, &rates);
            if let Some(m) = &p.batch_multiplier {
                out.push_str(&format!("batch_multiplier = {m}\n"));
            }
            out.push_str(&format!(
                "source = {}\nretrieved = \"{}\"\n",
                quoted(&source),
                meta.retrieved
            ));
            for (threshold, tier) in &p.tiers {
                let mut tier = tier.clone();
                fill_cache_fields(&mut tier, kind);
                out.push_str(&format!(
                    "\n[[models.periods.tiers]]\nabove_prompt_tokens = {threshold}\n"
                ));
                rates_toml(&mut out, &tier);
            }
        }
    }
    out
}

/// The catalog's rules per cache kind: explicit needs read and write prices,
/// automatic a read price and no write price. Missing ones are what the
/// catalog would bill anyway (a read or write without its own price costs
/// the input price); writes of an automatic cache are billed as input.
fn fill_cache_fields(rates: &mut ListedRates, kind: &str) {
    match kind {
        "explicit" => {
            if rates.cache_read.is_none() {
                rates.cache_read = rates.input.clone();
            }
            if rates.cache_write_5m.is_none() {
                rates.cache_write_5m = rates.input.clone();
            }
        }
        "automatic" => {
            if rates.cache_read.is_none() {
                rates.cache_read = rates.input.clone();
            }
            rates.cache_write_5m = None;
            rates.cache_write_1h = None;
        }
        _ => {
            rates.cache_read = None;
            rates.cache_write_5m = None;
            rates.cache_write_1h = None;
        }
    }
}

/// Why a listed model cannot become a catalog entry, if it cannot.
pub fn unimportable(model: &ListedModel) -> Option<String> {
    if model.context_window.is_none_or(|c| c == 0) {
        return Some("no context window".into());
    }
    for p in &model.periods {
        for rates in std::iter::once(&p.rates).chain(p.tiers.iter().map(|(_, t)| t)) {
            for (field, value) in rates.fields() {
                if let Err(e) = Rate::parse_usd_per_mtok(value) {
                    return Some(format!("`{field}` {value}: {e}"));
                }
            }
        }
    }
    None
}

/// The listed period in effect on `date` (`None`: the newest).
pub fn period_at(model: &ListedModel, date: Option<NaiveDate>) -> Option<&ListedPeriod> {
    match date {
        None => model.periods.last(),
        Some(d) => model
            .periods
            .iter()
            .rev()
            .find(|p| p.start.is_none_or(|s| s <= d)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn shifts_decimals_exactly() {
        assert_eq!(shift_decimal("0.000003", 6).as_deref(), Some("3"));
        assert_eq!(shift_decimal("0.0000000375", 6).as_deref(), Some("0.0375"));
        assert_eq!(shift_decimal("12", 6).as_deref(), Some("12000000"));
        assert_eq!(shift_decimal("0.3", 0).as_deref(), Some("0.3"));
        assert_eq!(price(&json!(3e-06), 6).as_deref(), Some("3"));
        assert_eq!(price(&json!(1.25e-07), 6).as_deref(), Some("0.125"));
        assert_eq!(price(&json!(-1.0), 6), None);
    }

    #[test]
    fn reads_litellm_entries() {
        let list = json!({
            "sample_spec": {"input_cost_per_token": 0},
            "m": {"litellm_provider": "gemini", "mode": "chat", "max_input_tokens": 1000,
                  "input_cost_per_token": 1e-06, "output_cost_per_token": 4e-06,
                  "input_cost_per_token_above_200k_tokens": 2e-06,
                  "input_cost_per_token_batches": 5e-07, "output_cost_per_token_batches": 2e-06},
            "emb": {"mode": "embedding", "input_cost_per_token": 1e-07},
            "x": {"mode": "chat", "input_cost_per_token": 1e-06}
        });
        let l = parse(ListKind::Litellm, &list).unwrap();
        assert_eq!(l.models.len(), 1);
        let m = &l.models[0];
        assert_eq!(m.provider, "google");
        assert_eq!(m.periods[0].rates.output.as_deref(), Some("4"));
        assert_eq!(m.periods[0].tiers[0].0, 200_000);
        assert_eq!(m.periods[0].tiers[0].1.input.as_deref(), Some("2"));
        assert_eq!(m.periods[0].tiers[0].1.output.as_deref(), Some("4"));
        assert_eq!(m.periods[0].batch_multiplier.as_deref(), Some("0.5"));
        assert_eq!(l.left_out[0].0, "x");
        assert_eq!(l.left_out[0].2, "no input or output price");
    }

    #[test]
    fn list_providers_map_to_catalog_providers() {
        assert_eq!(catalog_provider("x-ai"), "xai");
        assert_eq!(catalog_provider("moonshotai"), "moonshot");
        assert_eq!(catalog_provider("zai"), "zai");
        assert_eq!(catalog_provider("zhipuai"), "zhipuai");
    }

    /// Every threshold the list prices is kept (not only 128K, 200K and
    /// 272K), in ascending order, with its 1-hour write price.
    #[test]
    fn keeps_every_litellm_tier_threshold() {
        let list = json!({
            "m": {"litellm_provider": "minimax", "mode": "chat",
                  "input_cost_per_token": 1e-06, "output_cost_per_token": 4e-06,
                  "input_cost_per_token_above_512k_tokens": 2e-06,
                  "output_cost_per_token_above_512k_tokens": 8e-06,
                  "input_cost_per_token_above_32k_tokens": 1.5e-06,
                  "cache_creation_input_token_cost_above_1hr": 2e-06,
                  "cache_creation_input_token_cost_above_1hr_above_32k_tokens": 3e-06,
                  "input_cost_per_token_above_1m_tokens": 3e-06}
        });
        let l = parse(ListKind::Litellm, &list).unwrap();
        let tiers = &l.models[0].periods[0].tiers;
        let thresholds: Vec<u64> = tiers.iter().map(|t| t.0).collect();
        assert_eq!(thresholds, [32_000, 512_000, 1_000_000]);
        assert_eq!(tiers[0].1.input.as_deref(), Some("1.5"));
        assert_eq!(tiers[0].1.output.as_deref(), Some("4"));
        assert_eq!(tiers[0].1.cache_write_1h.as_deref(), Some("3"));
        assert_eq!(tiers[1].1.output.as_deref(), Some("8"));
        assert_eq!(
            l.models[0].periods[0].rates.cache_write_1h.as_deref(),
            Some("2")
        );
    }

    #[test]
    fn reads_genai_prices_periods_and_tiers() {
        let list = json!([{"id": "anthropic", "models": [
            {"id": "a", "context_window": 200000, "prices": [
                {"prices": {"input_mtok": {"base": 5, "tiers": [{"start": 200000, "price": 10}]},
                            "output_mtok": 25}},
                {"constraint": {"start_date": "2026-03-13"}, "prices": {"input_mtok": 5, "output_mtok": 25}}
            ]},
            {"id": "b", "prices": [{"constraint": {"start_time": "16:30:00"}, "prices": {"input_mtok": 1, "output_mtok": 2}}]}
        ]}]);
        let l = parse(ListKind::GenaiPrices, &list).unwrap();
        assert_eq!(l.models.len(), 1);
        let a = &l.models[0];
        assert_eq!(a.periods.len(), 2);
        assert_eq!(a.periods[0].start, None);
        assert_eq!(a.periods[0].tiers[0].1.input.as_deref(), Some("10"));
        assert_eq!(a.periods[0].tiers[0].1.output.as_deref(), Some("25"));
        assert_eq!(a.periods[1].start, NaiveDate::from_ymd_opt(2026, 3, 13));
        assert_eq!(l.left_out[0].2, "prices depend on the time of day");
    }
}
