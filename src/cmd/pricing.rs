//! `costsim pricing list|show|validate`.

use std::io::Write;

use serde_json::{json, Value};

use super::{emit, Exit};
use crate::cli::{
    PricingCommand, PricingDiffArgs, PricingListArgs, PricingShowArgs, PricingValidateArgs,
};
use crate::config::{format_of, load_catalog};
use crate::money::{display_count, Rate};
use crate::pricing::{
    CacheKind, Catalog, CatalogError, Model, Moment, Period, Rates, VariantPrice,
};
use crate::report::grid::{self, Align, Grid};
use crate::report::Format;

pub fn run(command: PricingCommand) -> anyhow::Result<Exit> {
    match command {
        PricingCommand::List(args) => list(args),
        PricingCommand::Show(args) => show(args),
        PricingCommand::Validate(args) => validate(args),
        PricingCommand::Diff(args) => diff(args),
        PricingCommand::Import(args) => super::price_lists::import(args),
        PricingCommand::CheckAgainst(args) => super::price_lists::check_against(args),
    }
}

fn rate_text(rate: Option<Rate>) -> String {
    rate.map_or_else(|| "—".to_string(), |r| r.to_string())
}

fn rate_number(rate: Option<Rate>) -> String {
    rate.map_or_else(String::new, |r| {
        r.to_string().trim_start_matches('$').to_string()
    })
}

fn list(args: PricingListArgs) -> anyhow::Result<Exit> {
    let catalog = load_catalog(args.catalog.pricing.as_deref())?;
    let models: Vec<&Model> = catalog
        .models
        .iter()
        .filter(|m| {
            args.provider
                .as_deref()
                .is_none_or(|p| m.provider.eq_ignore_ascii_case(p))
        })
        .collect();
    if models.is_empty() {
        if let Some(p) = &args.provider {
            anyhow::bail!(
                "--provider: no models for `{p}`; providers in the catalog: {}",
                catalog.providers().join(", ")
            );
        }
    }
    let format = format_of(args.output.format());
    emit(args.out.as_deref(), |w| match format {
        Format::Json => {
            let value = json!({
                "schema_version": 1,
                "catalog_version": catalog.version(),
                "catalog": catalog.origin,
                "models": models.iter().map(|m| model_value(m)).collect::<Vec<_>>(),
            });
            serde_json::to_writer_pretty(&mut *w, &value)?;
            writeln!(w)
        }
        Format::Csv => grid::write_csv(&list_grid(&models, true), w),
        Format::Markdown => {
            writeln!(
                w,
                "Pricing catalog {} ({}), USD per million tokens, current prices  \n",
                catalog.version(),
                catalog.origin
            )?;
            grid::write_markdown(&list_grid(&models, false), w)
        }
        Format::Table => {
            writeln!(
                w,
                "Pricing catalog {} ({}), USD per million tokens, current prices\n",
                catalog.version(),
                catalog.origin
            )?;
            grid::write_table(&list_grid(&models, false), w)
        }
    })?;
    Ok(Exit::Ok)
}

fn list_grid(models: &[&Model], machine: bool) -> Grid {
    let headers = [
        "model",
        "provider",
        "context",
        "input",
        "output",
        "cache_read",
        "cache_write_5m",
        "cache_write_1h",
        "batch",
        "long_context",
        "since",
    ];
    let titles = [
        "Model",
        "Provider",
        "Context",
        "Input",
        "Output",
        "Cache read",
        "Cache write 5m",
        "Cache write 1h",
        "Batch",
        "Long context",
        "Since",
    ];
    let mut align = vec![Align::Left, Align::Left];
    align.extend([Align::Right; 9]);
    let names = if machine { headers } else { titles };
    let mut grid = Grid::new(names.iter().map(|s| s.to_string()).collect(), align);
    let fmt = |r: Option<Rate>| {
        if machine {
            rate_number(r)
        } else {
            rate_text(r)
        }
    };
    for m in models {
        let Some(p) = m.periods.last() else { continue };
        let tier = p.tiers.first().map_or_else(
            || {
                if machine {
                    String::new()
                } else {
                    "—".to_string()
                }
            },
            |t| {
                if machine {
                    t.above_prompt_tokens.to_string()
                } else {
                    format!("> {}", short_tokens(t.above_prompt_tokens))
                }
            },
        );
        grid.push(vec![
            m.id.clone(),
            m.provider.clone(),
            if machine {
                m.context_window.to_string()
            } else {
                short_tokens(m.context_window)
            },
            fmt(Some(p.rates.input)),
            fmt(Some(p.rates.output)),
            fmt(p.rates.cache_read),
            fmt(p.rates.cache_write_5m),
            fmt(p.rates.cache_write_1h),
            p.batch_multiplier.map_or_else(
                || {
                    if machine {
                        String::new()
                    } else {
                        "—".to_string()
                    }
                },
                |b| {
                    if machine {
                        b.to_string()
                    } else {
                        format!("{b}×")
                    }
                },
            ),
            tier,
            p.from.to_string(),
        ]);
    }
    grid
}

/// `200000` -> `200k`, `1000000` -> `1M`, odd sizes with separators.
fn short_tokens(n: u64) -> String {
    if n >= 1_000_000 && n % 1_000_000 == 0 {
        format!("{}M", n / 1_000_000)
    } else if n >= 1000 && n % 1000 == 0 {
        format!("{}k", n / 1000)
    } else {
        display_count(n)
    }
}

fn rates_value(r: &Rates) -> Value {
    json!({
        "input": rate_number(Some(r.input)),
        "output": rate_number(Some(r.output)),
        "cache_read": r.cache_read.map(|x| rate_number(Some(x))),
        "cache_write_5m": r.cache_write_5m.map(|x| rate_number(Some(x))),
        "cache_write_1h": r.cache_write_1h.map(|x| rate_number(Some(x))),
    })
}

fn model_value(m: &Model) -> Value {
    json!({
        "id": m.id,
        "name": m.name,
        "provider": m.provider,
        "aliases": m.aliases,
        "context_window": m.context_window,
        "max_output": m.max_output,
        "cache": {
            "kind": m.cache.kind.to_string(),
            "min_tokens": m.cache.min_tokens,
            "increment": m.cache.increment,
            "ttls": m.cache.ttls.iter().map(|t| t.to_string()).collect::<Vec<_>>(),
            "refresh_on_hit": m.cache.refresh_on_hit,
        },
        "periods": m.periods.iter().map(|p| json!({
            "from": p.from.to_string(),
            "until": p.until.map(|u| u.to_string()),
            "usd_per_million_tokens": rates_value(&p.rates),
            "tiers": p.tiers.iter().map(|t| json!({
                "above_prompt_tokens": t.above_prompt_tokens,
                "usd_per_million_tokens": rates_value(&t.rates),
            })).collect::<Vec<_>>(),
            "batch_multiplier": p.batch_multiplier.map(|b| b.to_string()),
            "source": p.source,
            "retrieved": p.retrieved.to_string(),
        })).collect::<Vec<_>>(),
        "variants": m.variants.iter().map(|v| json!({
            "when": v.when.to_string(),
            "from": v.from.map(|d| d.to_string()),
            "until": v.until.map(|d| d.to_string()),
            "multiplier": match v.price {
                VariantPrice::Multiplier(m) => Some(m.to_string()),
                VariantPrice::Rates(_) => None,
            },
            "usd_per_million_tokens": match &v.price {
                VariantPrice::Multiplier(_) => None,
                VariantPrice::Rates(r) => Some(rates_value(r)),
            },
            "source": v.source,
            "retrieved": v.retrieved.to_string(),
        })).collect::<Vec<_>>(),
        "fees": m.fees.iter().map(|f| json!({
            "tool": f.tool,
            "usd_per_1000": f.per_thousand().to_decimal_string(6),
            "from": f.from.map(|d| d.to_string()),
            "until": f.until.map(|d| d.to_string()),
            "source": f.source,
            "retrieved": f.retrieved.to_string(),
        })).collect::<Vec<_>>(),
    })
}

fn show(args: PricingShowArgs) -> anyhow::Result<Exit> {
    let catalog = load_catalog(args.catalog.pricing.as_deref())?;
    let Some(model) = catalog.resolve(&args.model) else {
        let suggestions = catalog.suggest(&args.model);
        let hint = if suggestions.is_empty() {
            "see `costsim pricing list`, or add it from a public price list with `costsim pricing import`".to_string()
        } else {
            format!("did you mean {}?", suggestions.join(", "))
        };
        anyhow::bail!(
            "model `{}` is not in the pricing catalog; {hint}",
            args.model
        );
    };
    emit(args.out.as_deref(), |w| {
        write_model(&catalog, model, &args.model, w)
    })?;
    Ok(Exit::Ok)
}

fn write_model(
    catalog: &Catalog,
    m: &Model,
    asked: &str,
    w: &mut dyn Write,
) -> std::io::Result<()> {
    writeln!(w, "{} — {} ({})", m.id, m.name, m.provider)?;
    if !asked.eq_ignore_ascii_case(&m.id) {
        writeln!(w, "Resolved from: {asked}")?;
    }
    if !m.aliases.is_empty() {
        writeln!(w, "Aliases: {}", m.aliases.join(", "))?;
    }
    let max_output = m
        .max_output
        .map(|n| format!(", max output {} tokens", display_count(n)))
        .unwrap_or_default();
    writeln!(
        w,
        "Context window: {} tokens{max_output}",
        display_count(m.context_window)
    )?;
    if m.embedding {
        writeln!(
            w,
            "Embedding model: prices input tokens; left out of sweeps, routes and cascades"
        )?;
    }
    let c = &m.cache;
    let cache = match c.kind {
        CacheKind::None => "none (no cache discount)".to_string(),
        kind => {
            let ttls: Vec<String> = c.ttls.iter().map(|t| t.to_string()).collect();
            let mut text = format!(
                "{kind}{}, minimum {} tokens, in steps of {}, TTL {}{}",
                if kind == CacheKind::Explicit {
                    " breakpoints"
                } else {
                    " prefix caching"
                },
                display_count(c.min_tokens),
                display_count(c.increment),
                ttls.join(" or "),
                if c.refresh_on_hit {
                    " (refreshed on every hit)"
                } else {
                    ""
                }
            );
            if let Some(storage) = c.storage_per_mtok_hour {
                text.push_str(&format!(", storage {storage}/M tokens/hour"));
            }
            text
        }
    };
    writeln!(w, "Cache: {cache}")?;
    if let Some(source) = &c.source {
        writeln!(w, "Cache rules source: {source}")?;
    }
    writeln!(w, "Catalog: {} ({})", catalog.version(), catalog.origin)?;
    for p in &m.periods {
        writeln!(w)?;
        write_period(p, w)?;
    }
    if !m.fees.is_empty() {
        writeln!(w)?;
    }
    // A model's own fee shadows its file's for the same tool and dates.
    let mut shown = std::collections::HashSet::new();
    for f in &m.fees {
        if !shown.insert((&f.tool, f.from, f.until)) {
            continue;
        }
        writeln!(
            w,
            "Fee: {} per 1,000 uses of {}{}. Source: {} (retrieved {})",
            f.per_thousand().display_usd(),
            f.tool,
            match (f.from, f.until) {
                (None, None) => String::new(),
                (from, until) => format!(
                    " ({}{})",
                    from.map_or_else(String::new, |d| format!("from {d}")),
                    until.map_or_else(String::new, |d| format!(" until {d}"))
                ),
            },
            f.source,
            f.retrieved
        )?;
    }
    if !m.variants.is_empty() {
        writeln!(w)?;
        writeln!(
            w,
            "Variants that change these prices (request options, hours of the day):"
        )?;
    }
    for v in &m.variants {
        let price = match &v.price {
            VariantPrice::Multiplier(m) => format!("{m}× every rate above, cache rates included"),
            VariantPrice::Rates(r) => format!(
                "input {}, output {}, cache read {} (USD per million tokens, any prompt size)",
                rate_text(Some(r.input)),
                rate_text(Some(r.output)),
                rate_text(r.cache_read)
            ),
        };
        let dates = match (v.from, v.until) {
            (None, None) => String::new(),
            (Some(f), None) => format!(" from {f}"),
            (None, Some(u)) => format!(" until {u} (exclusive)"),
            (Some(f), Some(u)) => format!(" from {f} until {u} (exclusive)"),
        };
        writeln!(
            w,
            "- {}{dates}: {price}. Source: {} (retrieved {})",
            v.when, v.source, v.retrieved
        )?;
    }
    Ok(())
}

fn write_period(p: &Period, w: &mut dyn Write) -> std::io::Result<()> {
    let until = p
        .until
        .map_or_else(|| "today".to_string(), |u| format!("{u} (exclusive)"));
    writeln!(
        w,
        "Prices from {} to {until}, USD per million tokens:",
        p.from
    )?;
    let mut grid = Grid::titled(
        &[
            "Prompt size",
            "Input",
            "Output",
            "Cache read",
            "Cache write 5m",
            "Cache write 1h",
        ],
        1,
    );
    let row = |label: String, r: &Rates| {
        vec![
            label,
            rate_text(Some(r.input)),
            rate_text(Some(r.output)),
            rate_text(r.cache_read),
            rate_text(r.cache_write_5m),
            rate_text(r.cache_write_1h),
        ]
    };
    let base_label = match p.tiers.first() {
        None => "any".to_string(),
        Some(t) => format!("up to {} tokens", display_count(t.above_prompt_tokens)),
    };
    grid.push(row(base_label, &p.rates));
    for t in &p.tiers {
        grid.push(row(
            format!(
                "over {} tokens (whole request)",
                display_count(t.above_prompt_tokens)
            ),
            &t.rates,
        ));
    }
    grid::write_table(&grid, w)?;
    match p.batch_multiplier {
        Some(b) => writeln!(w, "Batch API: {b}× these prices")?,
        None => writeln!(w, "Batch API: not available")?,
    }
    writeln!(w, "Source: {} (retrieved {})", p.source, p.retrieved)
}

fn validate(args: PricingValidateArgs) -> anyhow::Result<Exit> {
    let result = load_catalog(args.dir.as_deref());
    let origin = args.dir.as_ref().map_or_else(
        || "built-in catalog".to_string(),
        |d| d.display().to_string(),
    );
    match result {
        Ok(catalog) => {
            let periods: usize = catalog.models.iter().map(|m| m.periods.len()).sum();
            emit(None, |w| {
                writeln!(
                    w,
                    "{origin}: ok — {} models from {} providers, {periods} price periods, version {}",
                    catalog.models.len(),
                    catalog.providers().len(),
                    catalog.version()
                )
            })?;
            Ok(Exit::Ok)
        }
        Err(CatalogError::Invalid(problems)) => {
            for p in &problems {
                crate::say!("costsim: error: {p}");
            }
            crate::say!(
                "costsim: error: {origin}: {} problem{} found",
                problems.len(),
                if problems.len() == 1 { "" } else { "s" }
            );
            Ok(Exit::InputError)
        }
        Err(e) => Err(e.into()),
    }
}

/// The period of `m` in effect on `date`, if the model existed then.
fn period_on(m: &Model, date: chrono::NaiveDate) -> Option<&Period> {
    m.periods.iter().find(|p| p.contains(Moment::day(date)))
}

fn rates_text(r: &Rates) -> String {
    let mut parts = vec![
        format!("in {}", rate_text(Some(r.input))),
        format!("out {}", rate_text(Some(r.output))),
    ];
    if let Some(c) = r.cache_read {
        parts.push(format!("read {c}"));
    }
    if let Some(c) = r.cache_write_5m {
        parts.push(format!("write {c}"));
    }
    if let Some(c) = r.cache_write_1h {
        parts.push(format!("write-1h {c}"));
    }
    parts.join(", ")
}

fn diff(args: PricingDiffArgs) -> anyhow::Result<Exit> {
    let parse = |flag: &str, text: &str| {
        chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map_err(|_| anyhow::anyhow!("{flag}: `{text}` is not a date (YYYY-MM-DD)"))
    };
    let from = parse("FROM", &args.from)?;
    let to = parse("TO", &args.to)?;
    let catalog = load_catalog(args.catalog.pricing.as_deref())?;
    let mut grid = Grid::new(
        [
            "Model",
            "Provider",
            "Change",
            &format!("On {from}"),
            &format!("On {to}"),
        ]
        .map(String::from)
        .to_vec(),
        vec![
            Align::Left,
            Align::Left,
            Align::Left,
            Align::Left,
            Align::Left,
        ],
    );
    for m in catalog.models.iter().filter(|m| {
        args.provider
            .as_deref()
            .is_none_or(|p| m.provider.eq_ignore_ascii_case(p))
    }) {
        let (a, b) = (period_on(m, from), period_on(m, to));
        let change = match (a, b) {
            (None, None) => continue,
            (None, Some(_)) => "new",
            (Some(_), None) => "retired",
            (Some(x), Some(y))
                if x.rates == y.rates
                    && x.tiers == y.tiers
                    && x.batch_multiplier == y.batch_multiplier =>
            {
                continue
            }
            (Some(x), Some(y)) => {
                let (xi, xo) = (x.rates.input, x.rates.output);
                let (yi, yo) = (y.rates.input, y.rates.output);
                if yi <= xi && yo <= xo && (yi < xi || yo < xo) {
                    "cheaper"
                } else if yi >= xi && yo >= xo && (yi > xi || yo > xo) {
                    "dearer"
                } else {
                    "changed"
                }
            }
        };
        let show = |p: Option<&Period>| p.map_or_else(|| "—".to_string(), |p| rates_text(&p.rates));
        grid.push(vec![
            m.id.clone(),
            m.provider.clone(),
            change.to_string(),
            show(a),
            show(b),
        ]);
    }
    let format = format_of(args.output.format());
    emit(args.out.as_deref(), |w| match format {
        Format::Table => {
            writeln!(
                w,
                "Price changes between {from} and {to} (USD per million tokens), catalog {}:\n",
                catalog.version()
            )?;
            grid::write_table(&grid, w)
        }
        Format::Markdown => grid::write_markdown(&grid, w),
        Format::Csv => grid::write_csv(&grid, w),
        Format::Json => {
            let rows: Vec<serde_json::Value> = grid
                .rows
                .iter()
                .map(|r| json!({"model": r[0], "provider": r[1], "change": r[2], "from": r[3], "to": r[4]}))
                .collect();
            let doc = json!({"from": from.to_string(), "to": to.to_string(), "changes": rows});
            serde_json::to_writer_pretty(&mut *w, &doc)?;
            writeln!(w)
        }
    })?;
    Ok(Exit::Ok)
}
