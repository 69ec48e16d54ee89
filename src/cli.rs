//! Command-line arguments, as typed by the user. Nothing here is validated
//! beyond its shape: `config.rs` turns these into what the stages need.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Where your LLM API money goes, and what it would cost under other choices.
///
/// costsim reads usage logs and traces, prices every call against a versioned
/// pricing catalog, and prints per-model breakdowns.
///
/// Defaults for any option can come from a costsim.toml (in the working
/// directory, else in the user's config directory, or named by
/// COSTSIM_CONFIG) and from COSTSIM_<OPTION> variables (COSTSIM_TIMEZONE):
/// flags win over both, the environment over the file.
///
/// Exit codes: 0 ok, 1 a check failed, 2 usage or input error.
#[derive(Debug, Parser)]
#[command(name = "costsim", version, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Price every call of the inputs and print a breakdown.
    ///
    /// Example: costsim replay traces.jsonl --by model --by day --output markdown
    Replay(ReplayArgs),
    /// Inspect and check the pricing catalog.
    #[command(subcommand)]
    Pricing(PricingCommand),
    /// List the built-in scenarios for `replay --scenario`.
    Scenarios(ScenariosArgs),
    /// Prompt-cache tools.
    #[command(subcommand)]
    Cache(CacheCommand),
    /// Estimate spend from a workload description when there are no logs
    /// yet: synthetic calls go through the same pricing, scenarios and reports
    /// as `replay`.
    ///
    /// Example: costsim estimate fixtures/workloads/support-bot.toml --sweep all
    Estimate(EstimateArgs),
    /// Write the synthetic calls of a workload file as canonical JSONL traces.
    Synth(SynthArgs),
    /// List the input formats costsim reads, with an example line of each and
    /// what maps to what.
    Formats(FormatsArgs),
    /// Guard spend in CI: price the input, project it to a day, week or
    /// month, and hold it against budgets. Exit 0 when every rule holds, 1
    /// when one fails, 2 on usage or input errors.
    ///
    /// Example: costsim check traces.jsonl --budget 2000/month --max-share 'claude-opus-*=50%'
    // check groups by what its rules need and lists no sessions: replay's
    // --by and --top are not shown (and refused when given), nor is the
    // HTML output among its formats.
    #[command(
        mut_arg("by", |a| a.hide(true)),
        mut_arg("top", |a| a.hide(true)),
        mut_arg("currency", |a| a.hide(true)),
        mut_arg("rate", |a| a.hide(true)),
        mut_arg("output", |a| a
            .hide_possible_values(true)
            .help("Output format: table, markdown, csv or json"))
    )]
    Check(CheckArgs),
    /// Compare two saved `replay --output json` reports group by group,
    /// largest dollar change first.
    ///
    /// Example: costsim diff last-week.json this-week.json --output markdown
    Diff(DiffArgs),
    /// Add up saved `replay --output json` reports exactly (e.g. one per
    /// shard of the logs) into one report: rows, scenarios and top sessions
    /// summed from their exact amounts.
    ///
    /// Example: costsim merge shard-*.json --output json > all.json
    Merge(MergeArgs),
    /// Print a shell completion script.
    ///
    /// Example: costsim completions bash > ~/.local/share/bash-completion/completions/costsim
    Completions(CompletionsArgs),
    /// Print the manual page (roff), for `man`.
    ///
    /// Example: costsim man > ~/.local/share/man/man1/costsim.1
    Man(ManArgs),
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
    /// Write the script to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write the page to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Saved reports, all grouped by the same --by and comparing the same
    /// scenarios.
    #[arg(value_name = "REPORT.json", required = true)]
    pub reports: Vec<PathBuf>,

    #[command(flatten)]
    pub output: OutputArg,

    /// Write the merged report to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The earlier report.
    #[arg(value_name = "OLD.json")]
    pub old: PathBuf,

    /// The later report.
    #[arg(value_name = "NEW.json")]
    pub new: PathBuf,

    #[command(flatten)]
    pub output: OutputArg,

    /// Write the comparison to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub input: ReplayArgs,

    /// Total spend limit, projected from the observed days to the period:
    /// AMOUNT/day, /week or /month, e.g. 2000/month.
    #[arg(long, allow_hyphen_values = true, value_name = "AMOUNT/PERIOD")]
    pub budget: Option<String>,

    /// Spend limit for models matching a glob, e.g. 'claude-opus-*=500/month'.
    /// Repeatable.
    #[arg(long, allow_hyphen_values = true, value_name = "GLOB=AMOUNT/PERIOD")]
    pub budget_model: Vec<String>,

    /// Spend limit for calls with a tag value, e.g. team:search=300/month.
    /// Repeatable.
    #[arg(
        long,
        allow_hyphen_values = true,
        value_name = "KEY:VALUE=AMOUNT/PERIOD"
    )]
    pub budget_tag: Vec<String>,

    /// Largest share of total cost allowed on models matching a glob, e.g.
    /// 'claude-opus-*=50%'. Repeatable.
    #[arg(long, allow_hyphen_values = true, value_name = "GLOB=PERCENT")]
    pub max_share: Vec<String>,

    /// A saved `costsim replay --output json` report to compare spend per day
    /// with (needs --max-increase).
    #[arg(long, value_name = "REPORT.json")]
    pub baseline: Option<PathBuf>,

    /// Largest increase in spend per day allowed against --baseline, e.g. 10%.
    #[arg(long, allow_hyphen_values = true, value_name = "PERCENT")]
    pub max_increase: Option<String>,

    /// Do not fail on calls whose model is not in the pricing catalog.
    #[arg(long)]
    pub allow_unpriced: bool,

    /// Hold the rules against the cost --scenario (or a one-model --sweep)
    /// simulates instead of the recorded cost; tag budgets stay on the
    /// recorded cost. [default: the recorded cost]
    #[arg(long)]
    pub check_scenario: bool,
}

#[derive(Debug, Args)]
pub struct FormatsArgs {
    #[command(flatten)]
    pub output: OutputArg,

    /// Write the list to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum CacheCommand {
    /// Find why prompt caching is not paying, ranked by dollars lost, with the
    /// sessions and lines that show it and what to change.
    ///
    /// Example: costsim cache doctor ~/.claude/projects --output markdown
    Doctor(DoctorArgs),
}

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Trace files, directories, glob patterns, or - for standard input.
    /// Optional with --claude or --agents.
    #[arg(value_name = "INPUT", required_unless_present_any = ["claude", "agents"])]
    pub inputs: Vec<String>,

    /// Also read the local Claude Code logs, as `replay --claude` does.
    #[arg(long)]
    pub claude: bool,

    /// Also read the local usage logs of coding agents, as `replay --agents`
    /// does (`--agents` alone: every agent found). [default: no agents]
    #[arg(long, value_name = "NAMES", num_args = 0..=1, default_missing_value = "all")]
    pub agents: Option<String>,

    #[command(flatten)]
    pub window: WindowArgs,

    /// Tokens at the start of every prompt shared across sessions (a common
    /// system prompt), for traces without prompt.segments.
    #[arg(
        long,
        allow_negative_numbers = true,
        value_name = "TOKENS",
        default_value_t = 0
    )]
    pub shared_prefix: u64,

    #[command(flatten)]
    pub catalog: CatalogArgs,

    #[command(flatten)]
    pub output: OutputArg,

    /// Write the findings to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,

    /// Treat any skipped line or unreadable file as an error: exit 2.
    #[arg(long)]
    pub strict: bool,

    /// No warnings on stderr (errors are still shown).
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct ScenariosArgs {
    #[command(flatten)]
    pub output: OutputArg,

    /// Write the list to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Boxed text table.
    Table,
    /// GitHub-flavoured markdown, ready to paste.
    Markdown,
    /// Comma-separated values with a header row.
    Csv,
    /// JSON document (schema_version 1).
    Json,
}

/// A set of output formats with a JSON member, the format `--json` asks for.
pub trait Formats: ValueEnum + Clone + Copy + Send + Sync + 'static {
    const JSON: Self;
}

impl Formats for OutputFormat {
    const JSON: Self = OutputFormat::Json;
}

impl Formats for ReportFormat {
    const JSON: Self = ReportFormat::Json;
}

/// `--output` and its `--json` shorthand, over a command's formats.
#[derive(Debug, Args, Clone, Copy)]
pub struct FormatArg<F: Formats> {
    /// Output format.
    #[arg(
        id = "output",
        long = "output",
        short = 'o',
        value_enum,
        default_value = "table",
        value_name = "OUTPUT"
    )]
    chosen: F,
    /// Shorthand for --output json.
    #[arg(long, conflicts_with = "output")]
    json: bool,
}

impl<F: Formats> FormatArg<F> {
    /// The format asked for (`--json` is `--output json`).
    pub fn format(&self) -> F {
        if self.json {
            F::JSON
        } else {
            self.chosen
        }
    }
}

/// `--output`, shared by every command that prints a report.
pub type OutputArg = FormatArg<OutputFormat>;

/// Report formats of `replay` and `estimate`: those of every command, and a
/// web page with charts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// Boxed text table.
    Table,
    /// GitHub-flavoured markdown, ready to paste.
    Markdown,
    /// Comma-separated values with a header row.
    Csv,
    /// JSON document (schema_version 1).
    Json,
    /// One self-contained HTML page with charts (cost over time by model,
    /// share by model, scenario savings, cache hit rate) and the tables; use
    /// with --out.
    Html,
}

/// `--output` of the commands that print a replay report.
pub type ReportOutputArg = FormatArg<ReportFormat>;

/// The time window of a run: which calls it keeps.
#[derive(Debug, Args, Clone)]
pub struct WindowArgs {
    /// Only calls at or after this time: a date (YYYY-MM-DD, start of day in
    /// --timezone), `today`, `yesterday`, a span back from now (`7d`, `2w`,
    /// `12h`) or an RFC 3339 timestamp. [default: no limit]
    #[arg(long, value_name = "WHEN")]
    pub since: Option<String>,

    /// Only calls up to this time: a date, `today` or `yesterday` includes
    /// that whole day (in --timezone); a span back from now (`1d`) or an RFC
    /// 3339 timestamp is exclusive. [default: no limit]
    #[arg(long, value_name = "WHEN")]
    pub until: Option<String>,

    /// Only the calls of the last SPAN (`7d`, `30d`, `2w`, `12h`): the same
    /// as --since SPAN. [default: no limit]
    #[arg(long, value_name = "SPAN", conflicts_with = "since")]
    pub last: Option<String>,

    /// Cut days, weeks and months at midnight in this IANA time zone
    /// (`Europe/Berlin`, `America/New_York`): in day, week and month groups
    /// and charts, the header's times and dates given to --since/--until.
    /// Timestamps written out (JSON, CSV) stay UTC. [default: UTC]
    #[arg(long, value_name = "ZONE")]
    pub timezone: Option<String>,
}

#[derive(Debug, Args)]
pub struct CatalogArgs {
    /// Load the pricing catalog from this directory of *.toml files instead of
    /// the catalog built into costsim.
    #[arg(long, value_name = "DIR")]
    pub pricing: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// Trace files, directories (searched recursively for *.jsonl, *.jsonl.gz,
    /// *.jsonl.zst), glob patterns, or - for standard input. Gzip and zstd are
    /// detected from the content. Optional with --claude or --agents.
    #[arg(value_name = "INPUT", required_unless_present_any = ["claude", "agents"])]
    pub inputs: Vec<String>,

    /// Read every input as this format instead of detecting it per file
    /// (see `costsim formats`); the logs --agents finds are read as their
    /// agent's. [default: detected]
    #[arg(long, value_name = "NAME")]
    pub format: Option<String>,

    /// Also read the local Claude Code logs: each folder of
    /// $CLAUDE_CONFIG_DIR (comma-separated; its projects/ folder if it has
    /// one), else ~/.claude/projects and ~/.config/claude/projects.
    #[arg(long)]
    pub claude: bool,

    /// Also read the local usage logs of coding agents, each from where it
    /// keeps them (see `costsim formats`): `--agents` alone reads every agent
    /// found, `--agents claude,codex` the ones named. Each file is read with
    /// its agent's format; the header says what was found where.
    /// [default: no agents]
    #[arg(long, value_name = "NAMES", num_args = 0..=1, default_missing_value = "all")]
    pub agents: Option<String>,

    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, Args)]
pub struct EstimateArgs {
    /// Workload file (TOML): requests per day, token sizes, agent steps and
    /// context growth, shared system prompt, days. See README "Estimating".
    #[arg(value_name = "WORKLOAD")]
    pub workload: PathBuf,

    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, Args)]
pub struct SynthArgs {
    /// Workload file (TOML), as for `costsim estimate`.
    #[arg(value_name = "WORKLOAD")]
    pub workload: PathBuf,

    /// Write the traces to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// How to price and report, shared by `replay` and `estimate`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Group rows by this dimension; repeat for several (model, provider,
    /// account, day, week, month, session, task (a call's `task` tag, else its
    /// session), agent, tag:KEY). Days, weeks (ISO) and
    /// months are cut at midnight in --timezone. [default: model]
    #[arg(long = "by", value_name = "DIM")]
    pub by: Vec<String>,

    #[command(flatten)]
    pub window: WindowArgs,

    /// Which catalog prices to use: a date (YYYY-MM-DD) prices every call as
    /// of that day; `latest` uses each model's newest prices (for forecasts).
    /// [default: the prices in effect on each call's date]
    #[arg(long, value_name = "DATE|latest")]
    pub pricing_date: Option<String>,

    /// The time of records that carry none (Anthropic Messages responses and
    /// Message Batches results saved from the API): a date (YYYY-MM-DD, start
    /// of day UTC) or an RFC 3339 timestamp. The header counts the calls
    /// dated this way. [default: each file's modification time]
    #[arg(long, value_name = "WHEN")]
    pub assume_time: Option<String>,

    #[command(flatten)]
    pub catalog: CatalogArgs,

    #[command(flatten)]
    pub output: ReportOutputArg,

    /// Write the report to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,

    /// Also write one row per priced call per scenario (time, model, session,
    /// tags, tokens and cost by kind, scenario) to FILE: Parquet if it ends in
    /// .parquet, else CSV. For keeping history in DuckDB or Spark.
    /// [default: none]
    #[arg(long, value_name = "FILE")]
    pub line_items: Option<PathBuf>,

    /// Treat any skipped line or unreadable file as an error: exit 2.
    #[arg(long)]
    pub strict: bool,

    /// No progress bar and no warnings on stderr (errors are still shown).
    #[arg(long, short = 'q')]
    pub quiet: bool,

    /// Also list the N most expensive sessions with their step counts: the
    /// runaway-loop finder. [default: none]
    #[arg(long, allow_negative_numbers = true, value_name = "N")]
    pub top: Option<usize>,

    /// Also show how cost, calls and tokens spread over tasks (a call's
    /// `task` tag, else its session): p50, p90 and max per task, as recorded
    /// and under each scenario, and the tasks' wall time (first call to last
    /// answer). [default: off]
    #[arg(long)]
    pub tasks: bool,

    /// Worker threads for reading inputs. [default: one per core]
    #[arg(long, allow_negative_numbers = true, value_name = "N")]
    pub threads: Option<usize>,

    /// Tables show only names, calls, cost, share and changes, not token
    /// counts. [default: every column; on a terminal, as many as fit]
    #[arg(long)]
    pub compact: bool,

    /// Show amounts in this currency (ISO code: EUR, GBP, JPY), converted
    /// at --rate; the header states the rate. Prices stay USD, and so do CSV
    /// and JSON figures. [default: USD]
    #[arg(long, value_name = "CODE", requires = "rate")]
    pub currency: Option<String>,

    /// Units of --currency one US dollar buys (0.92 for EUR): your rate,
    /// as costsim works offline. [default: none]
    #[arg(long, value_name = "RATE", requires = "currency")]
    pub rate: Option<String>,

    /// Also price the calls under this scenario and add a savings table: a
    /// built-in preset (see `costsim scenarios`: cache-off, cache-5m, cache-1h,
    /// ...) or a scenario TOML file. Repeatable; all scenarios are evaluated in
    /// one pass. [default: none, the calls as recorded]
    #[arg(long, value_name = "NAME|FILE")]
    pub scenario: Vec<String>,

    /// Tokens at the start of every prompt that are the same across sessions
    /// of an account and model (a shared system prompt), for simulated caching
    /// of traces without prompt.segments.
    #[arg(
        long,
        allow_negative_numbers = true,
        value_name = "TOKENS",
        default_value_t = 0
    )]
    pub shared_prefix: u64,

    #[command(flatten)]
    pub what_if: WhatIfArgs,
}

/// Shorthand flags for a one-off scenario, and the model sweep.
#[derive(Debug, Args, Default)]
pub struct WhatIfArgs {
    /// Route calls to other models: GLOB=MODEL:SHARE,MODEL:SHARE (rules
    /// separated by `;`), e.g. 'claude-opus-*=claude-sonnet-4-5:0.7,claude-haiku-4-5:0.3'.
    /// Shares (0.3 or 30%) of a rule sum to 1. Combined with the other shorthand flags into
    /// one scenario. [default: no routing]
    #[arg(long, value_name = "SPEC")]
    pub route: Option<String>,

    /// With --route: the router's own call, priced with the route so its
    /// saving is net of it: MODEL:INPUT[:OUTPUT[:request|session]] tokens per
    /// decision, e.g. gpt-oss-120b:350:5 (per request unless `session`).
    /// [default: no router cost]
    #[arg(long, value_name = "SPEC", requires = "route")]
    pub router: Option<String>,

    /// Compact agent sessions: when a session's prompt passes TRIGGER tokens,
    /// a summarising call (on MODEL, else the call's own model) replaces its
    /// history with a summary KEEP (0-1) times its size, and later prompts
    /// of the session shrink by what was removed. TRIGGER:KEEP[:MODEL], e.g.
    /// 100000:0.3:claude-haiku-4-5. [default: no compaction]
    #[arg(long, value_name = "SPEC")]
    pub compaction: Option<String>,

    /// Put a semantic cache in front of the models: it answers this share
    /// (0-1) of the non-interactive calls (first step of a session, or no
    /// session) without a model call; each lookup of an eligible call embeds
    /// TOKENS on MODEL, an embedding model. RATE[:MODEL:TOKENS], e.g.
    /// 0.3:text-embedding-3-small:200. [default: no semantic cache]
    #[arg(long, value_name = "SPEC")]
    pub semantic_cache: Option<String>,

    /// With --route: pick the target once per session (keeps its prompt cache
    /// warm) or for every call.
    #[arg(long, value_enum, default_value_t = StickyArg::Session)]
    pub sticky: StickyArg,

    /// Send this share (0-1) of the non-interactive calls (first step of a
    /// session, or no session) through the batch API. [default: none]
    #[arg(long, allow_hyphen_values = true, value_name = "SHARE")]
    pub batch: Option<String>,

    /// Cap agent sessions at this many calls; later calls are dropped.
    /// [default: no cap]
    #[arg(long, allow_negative_numbers = true, value_name = "N")]
    pub max_steps: Option<u64>,

    /// Cap agent sessions at this many tokens (prompt + output, summed);
    /// the call that crosses it and later ones are dropped. [default: no cap]
    #[arg(long, allow_negative_numbers = true, value_name = "TOKENS")]
    pub max_tokens: Option<u64>,

    /// Price the same calls on each of these models (comma-separated ids, or
    /// `all` for the whole catalog) and rank them, cheapest first, with a
    /// monthly projection. [default: no sweep]
    #[arg(long, value_name = "MODELS|all")]
    pub sweep: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum StickyArg {
    /// Every call of a session goes to the same model.
    #[default]
    Session,
    /// Each call is assigned on its own.
    Call,
}

#[derive(Debug, Subcommand)]
pub enum PricingCommand {
    /// List the catalog's models with their current prices (USD per million tokens).
    List(PricingListArgs),
    /// Show one model: every price period, long-context tiers, cache rules and
    /// sources. Accepts ids and aliases (e.g. dated ids).
    Show(PricingShowArgs),
    /// Check a catalog directory: exits 2 naming the file and entry of every
    /// problem (overlapping periods, missing fields, bad numbers).
    Validate(PricingValidateArgs),
    /// What changed in prices between two dates, per model (new models,
    /// retired ones, changed rates).
    ///
    /// Example: costsim pricing diff 2025-06-01 2026-01-01
    Diff(PricingDiffArgs),
    /// Convert a public price list (LiteLLM's model_prices_and_context_window.json
    /// or genai-prices' data.json) into catalog TOML for the models the catalog
    /// lacks, each price marked with the list as its source.
    ///
    /// Example: costsim pricing import litellm model_prices.json --out my-catalog/
    Import(PricingImportArgs),
    /// Compare the catalog with a public price list and report every price
    /// that differs. Exit 0 when all agree, 1 when some differ.
    ///
    /// Example: costsim pricing check-against model_prices.json
    CheckAgainst(PricingCheckAgainstArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PriceListArg {
    /// LiteLLM's model_prices_and_context_window.json.
    Litellm,
    /// genai-prices' data.json (pydantic/genai-prices).
    GenaiPrices,
}

#[derive(Debug, Args)]
pub struct PricingImportArgs {
    /// Which list FILE is.
    #[arg(value_enum, value_name = "LIST")]
    pub list: PriceListArg,

    /// The price list (JSON).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,

    /// Only models of this provider (the catalog's name, e.g. google, or the
    /// list's, e.g. mistral). [default: all]
    #[arg(long, value_name = "P")]
    pub provider: Option<String>,

    /// Write one catalog file per provider into DIR (imported-LIST-PROVIDER.toml),
    /// plus the built-in catalog's files if DIR has none, so that
    /// `--pricing DIR` prices with both. [default: print the TOML, which
    /// needs a single provider]
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// The day the list was downloaded, recorded as each price's `retrieved`.
    /// [default: today]
    #[arg(long, value_name = "DATE")]
    pub retrieved: Option<String>,

    /// The first day the imported prices apply; calls before it are priced at
    /// them with a note. [default: --retrieved]
    #[arg(long, value_name = "DATE")]
    pub from: Option<String>,

    #[command(flatten)]
    pub catalog: CatalogArgs,
}

#[derive(Debug, Args)]
pub struct PricingCheckAgainstArgs {
    /// The price list (JSON): LiteLLM's or genai-prices', told apart by shape.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,

    /// Compare the prices in effect on this date (YYYY-MM-DD).
    /// [default: each model's newest prices]
    #[arg(long, value_name = "DATE")]
    pub date: Option<String>,

    #[command(flatten)]
    pub catalog: CatalogArgs,

    #[command(flatten)]
    pub output: OutputArg,

    /// Write the output to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct PricingDiffArgs {
    /// The earlier date (YYYY-MM-DD).
    #[arg(value_name = "FROM")]
    pub from: String,

    /// The later date (YYYY-MM-DD).
    #[arg(value_name = "TO")]
    pub to: String,

    /// Only this provider's models. [default: all]
    #[arg(long, value_name = "P")]
    pub provider: Option<String>,

    #[command(flatten)]
    pub catalog: CatalogArgs,

    #[command(flatten)]
    pub output: OutputArg,

    /// Write the output to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct PricingListArgs {
    /// Only this provider's models (anthropic, openai, google, deepseek, xai).
    /// [default: all]
    #[arg(long, value_name = "P")]
    pub provider: Option<String>,

    #[command(flatten)]
    pub catalog: CatalogArgs,

    #[command(flatten)]
    pub output: OutputArg,

    /// Write the output to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct PricingShowArgs {
    /// Model id or alias, e.g. claude-sonnet-4-5-20250929.
    #[arg(value_name = "MODEL")]
    pub model: String,

    #[command(flatten)]
    pub catalog: CatalogArgs,

    /// Write the output to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct PricingValidateArgs {
    /// Catalog directory to check. [default: the built-in catalog]
    #[arg(value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn every_argument_has_help() {
        fn check(cmd: &clap::Command) {
            for arg in cmd.get_arguments() {
                let id = arg.get_id().as_str();
                if id == "help" || id == "version" {
                    continue;
                }
                assert!(
                    arg.get_help().is_some(),
                    "{} --{id} has no help",
                    cmd.get_name()
                );
            }
            for sub in cmd.get_subcommands() {
                assert!(sub.get_about().is_some(), "{} has no about", sub.get_name());
                check(sub);
            }
        }
        check(&Cli::command());
    }
}
