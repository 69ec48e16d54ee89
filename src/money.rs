//! Exact money.
//!
//! Prices are USD per million tokens with at most [`PRICE_DECIMALS`] decimals;
//! multipliers (batch discounts) have at most [`MULTIPLIER_DECIMALS`]. A [`Rate`]
//! stores a price as an integer count of nano-dollars per million tokens, which
//! is the same thing as femto-dollars (1e-15 USD) per token. So the cost of a
//! token count is `tokens * rate` femto-dollars: an integer, with no rounding
//! anywhere until a number is rendered. Sums are `i128`, so no realistic input
//! can overflow them and totals do not depend on the order of addition.

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Sub};

use serde::{Deserialize, Serialize};

/// Decimal places allowed in a catalog price (USD per million tokens).
pub const PRICE_DECIMALS: u32 = 6;
/// Decimal places allowed in a price multiplier such as a batch discount.
pub const MULTIPLIER_DECIMALS: u32 = 3;
/// Femto-dollars in one US dollar.
pub const FEMTO_PER_USD: i128 = 1_000_000_000_000_000;

/// A price: nano-dollars per million tokens (= femto-dollars per token).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Rate(i64);

/// An amount of money in femto-dollars (1e-15 USD).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
pub struct Money(pub i128);

/// Why a decimal text is not an acceptable price or multiplier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecimalError {
    #[error("`{0}` is not a decimal number")]
    NotANumber(String),
    #[error("`{0}` is negative")]
    Negative(String),
    #[error("`{text}` has more than {max} decimal places")]
    TooPrecise { text: String, max: u32 },
    #[error("`{0}` is too large")]
    TooLarge(String),
}

/// Parses a non-negative decimal text (`"3"`, `"0.075"`, `"1.25e-1"` is refused)
/// into an integer scaled by `10^decimals`, refusing anything that would round.
pub fn parse_scaled_decimal(text: &str, decimals: u32) -> Result<i64, DecimalError> {
    let trimmed = text.trim();
    if trimmed.starts_with('-') {
        return Err(DecimalError::Negative(trimmed.to_string()));
    }
    let (whole, frac) = match trimmed.split_once('.') {
        Some((w, f)) => (w, f),
        None => (trimmed, ""),
    };
    let digits_ok = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (whole.is_empty() && frac.is_empty()) || !digits_ok(whole) || !digits_ok(frac) {
        return Err(DecimalError::NotANumber(trimmed.to_string()));
    }
    let frac = frac.trim_end_matches('0');
    if frac.len() > decimals as usize {
        return Err(DecimalError::TooPrecise {
            text: trimmed.to_string(),
            max: decimals,
        });
    }
    let too_large = || DecimalError::TooLarge(trimmed.to_string());
    let whole_value: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| too_large())?
    };
    let mut frac_value: i64 = if frac.is_empty() {
        0
    } else {
        frac.parse().map_err(|_| too_large())?
    };
    for _ in frac.len()..decimals as usize {
        frac_value *= 10;
    }
    whole_value
        .checked_mul(10i64.pow(decimals))
        .and_then(|w| w.checked_add(frac_value))
        .ok_or_else(too_large)
}

/// A multiplier such as a batch discount, in thousandths (0.5 = 500).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Multiplier(i64);

impl Multiplier {
    pub const ONE: Multiplier = Multiplier(1000);
    pub const ZERO: Multiplier = Multiplier(0);

    pub fn parse(text: &str) -> Result<Self, DecimalError> {
        parse_scaled_decimal(text, MULTIPLIER_DECIMALS).map(Multiplier)
    }

    pub fn thousandths(self) -> i64 {
        self.0
    }
}

impl fmt::Display for Multiplier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", trim_decimal(self.0 as i128, MULTIPLIER_DECIMALS))
    }
}

impl Rate {
    pub const ZERO: Rate = Rate(0);

    /// Parses a price in USD per million tokens, e.g. `"0.075"`.
    pub fn parse_usd_per_mtok(text: &str) -> Result<Self, DecimalError> {
        // Catalog prices have at most 6 decimals; the rate keeps 9 so that a
        // 3-decimal multiplier applied to any price stays exact.
        let micro = parse_scaled_decimal(text, PRICE_DECIMALS)?;
        micro
            .checked_mul(1000)
            .map(Rate)
            .ok_or_else(|| DecimalError::TooLarge(text.to_string()))
    }

    pub fn from_nano_per_mtok(nano: i64) -> Self {
        Rate(nano)
    }

    pub fn nano_per_mtok(self) -> i64 {
        self.0
    }

    /// Cost of `tokens` tokens at this rate.
    pub fn cost(self, tokens: u64) -> Money {
        Money(tokens as i128 * self.0 as i128)
    }

    /// This rate scaled by a multiplier; exact because prices have at most 6
    /// decimals and the rate unit has 9.
    pub fn scaled(self, m: Multiplier) -> Rate {
        Rate(((self.0 as i128 * m.0 as i128) / 1000) as i64)
    }
}

impl fmt::Display for Rate {
    /// USD per million tokens, without trailing zeros beyond two decimals.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = trim_decimal(self.0 as i128, 9);
        match text.split_once('.') {
            None => write!(f, "${text}.00"),
            Some((_, frac)) if frac.len() == 1 => write!(f, "${text}0"),
            Some(_) => write!(f, "${text}"),
        }
    }
}

/// `value / 10^decimals` as a decimal text without trailing zeros.
fn trim_decimal(value: i128, decimals: u32) -> String {
    let scale = 10i128.pow(decimals);
    let sign = if value < 0 { "-" } else { "" };
    let abs = value.unsigned_abs();
    let whole = abs / scale as u128;
    let frac = abs % scale as u128;
    if frac == 0 {
        return format!("{sign}{whole}");
    }
    let frac_text = format!("{frac:0width$}", width = decimals as usize);
    format!("{sign}{whole}.{}", frac_text.trim_end_matches('0'))
}

impl Money {
    pub const ZERO: Money = Money(0);

    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.0.checked_add(other.0).map(Money)
    }

    pub fn checked_sub(self, other: Money) -> Option<Money> {
        self.0.checked_sub(other.0).map(Money)
    }

    pub fn femto(self) -> i128 {
        self.0
    }

    pub fn abs(self) -> Money {
        Money(self.0.saturating_abs())
    }

    /// Rounds to `decimals` places of a dollar (half away from zero) and
    /// returns the scaled integer, e.g. cents for 2.
    pub fn round_to(self, decimals: u32) -> i128 {
        let unit = FEMTO_PER_USD / 10i128.pow(decimals);
        let half = unit / 2;
        // Saturating: amounts at the bounds (an overflowed sum) still round.
        if self.0 >= 0 {
            self.0.saturating_add(half) / unit
        } else {
            self.0.saturating_sub(half) / unit
        }
    }

    /// Plain decimal USD text with exactly `decimals` places: `1234.5600`.
    pub fn to_decimal_string(self, decimals: u32) -> String {
        let scaled = self.round_to(decimals);
        let sign = if scaled < 0 { "-" } else { "" };
        let abs = scaled.unsigned_abs();
        if decimals == 0 {
            return format!("{sign}{abs}");
        }
        let scale = 10u128.pow(decimals);
        format!(
            "{sign}{}.{:0width$}",
            abs / scale,
            abs % scale,
            width = decimals as usize
        )
    }

    /// USD as an f64 rounded to micro-dollars, for JSON consumers.
    pub fn to_usd_f64(self) -> f64 {
        // Rounding first keeps the printed number short and stable.
        self.round_to(6) as f64 / 1e6
    }

    /// The amount as shown (in the display currency, if any) as an f64, for
    /// charts.
    pub fn to_shown_f64(self) -> f64 {
        crate::currency::shown(self).0.to_usd_f64()
    }

    /// Human text for tables: `$1,234.57`; amounts under a dollar keep four
    /// decimals (`$0.0042`) so cheap models do not all read `$0.00`.
    pub fn display_usd(self) -> String {
        self.display_usd_places(Self::places_for([self]))
    }

    /// The decimals a column of `amounts` is shown with: four when one of
    /// them is a non-zero amount under a dollar (under one unit of the
    /// display currency), else two.
    pub fn places_for(amounts: impl IntoIterator<Item = Money>) -> u32 {
        let small = |m: Money| {
            let (m, _) = crate::currency::shown(m);
            m.0 != 0 && m.0.abs() < FEMTO_PER_USD
        };
        if amounts.into_iter().any(small) {
            4
        } else {
            2
        }
    }

    /// An exact amount for a table cell (`$5.634512345678901`, every
    /// femto-dollar): tables round each column's amounts to one precision
    /// when they are printed (see `report::grid`).
    pub fn exact_usd(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let unit = FEMTO_PER_USD as u128;
        format!("{sign}${}.{:015}", abs / unit, abs % unit)
    }

    /// [`Money::exact_usd`] with a `+` on gains.
    pub fn exact_signed_usd(self) -> String {
        let text = self.exact_usd();
        if self.0 > 0 {
            format!("+{text}")
        } else {
            text
        }
    }

    /// Reads an amount written by [`Money::exact_usd`] (without its sign)
    /// from the start of `text`: the amount and the bytes it took.
    pub fn parse_exact_usd(text: &str) -> Option<(Money, usize)> {
        let digits = text.strip_prefix('$')?;
        let whole_len = digits.bytes().take_while(u8::is_ascii_digit).count();
        let rest = digits[whole_len..].strip_prefix('.')?;
        let frac_len = rest.bytes().take_while(u8::is_ascii_digit).count();
        if whole_len == 0 || frac_len != 15 {
            return None;
        }
        let whole: i128 = digits[..whole_len].parse().ok()?;
        let frac: i128 = rest[..15].parse().ok()?;
        let femto = whole.checked_mul(FEMTO_PER_USD)?.checked_add(frac)?;
        Some((Money(femto), 1 + whole_len + 1 + 15))
    }

    /// `$1,234.57` with exactly `decimals` places (half away from zero); in
    /// the display currency when one is set (`€1,135.80`, see
    /// [`crate::currency`]).
    pub fn display_usd_places(self, decimals: u32) -> String {
        let (amount, prefix) = crate::currency::shown(self);
        let plain = amount.to_decimal_string(decimals);
        let (sign, digits) = match plain.strip_prefix('-') {
            Some(rest) => ("-", rest),
            None => ("", plain.as_str()),
        };
        let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
        let whole = group_thousands(whole);
        if frac.is_empty() {
            format!("{sign}{prefix}{whole}")
        } else {
            format!("{sign}{prefix}{whole}.{frac}")
        }
    }

    /// [`Money::display_usd`] with a `+` on gains, for changes: `+$1.23`,
    /// `-$0.0042`, `$0.00`.
    pub fn display_signed_usd(self) -> String {
        let text = self.display_usd();
        if self.0 > 0 {
            format!("+{text}")
        } else {
            text
        }
    }

    /// This amount as a share of `total`, in hundredths of a percent, rounded.
    pub fn share_basis_points(self, total: Money) -> Option<i128> {
        if total.0 == 0 {
            return None;
        }
        let num = self.0 * 10_000;
        Some((num + total.0 / 2) / total.0)
    }
}

/// `1234567` -> `1,234,567`.
pub fn group_thousands(digits: &str) -> String {
    let bytes = digits.as_bytes();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 && (bytes.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(*b as char);
    }
    out
}

/// Formats a token count with thousands separators.
pub fn display_count(n: u64) -> String {
    group_thousands(&n.to_string())
}

impl Add for Money {
    type Output = Money;
    fn add(self, rhs: Money) -> Money {
        Money(self.0 + rhs.0)
    }
}

impl AddAssign for Money {
    fn add_assign(&mut self, rhs: Money) {
        self.0 += rhs.0;
    }
}

impl Sub for Money {
    type Output = Money;
    fn sub(self, rhs: Money) -> Money {
        Money(self.0 - rhs.0)
    }
}

impl Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        iter.fold(Money::ZERO, Add::add)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_prices_exactly() {
        assert_eq!(
            Rate::parse_usd_per_mtok("3").unwrap().nano_per_mtok(),
            3_000_000_000
        );
        assert_eq!(
            Rate::parse_usd_per_mtok("0.075").unwrap().nano_per_mtok(),
            75_000_000
        );
        assert_eq!(
            Rate::parse_usd_per_mtok("0.000001")
                .unwrap()
                .nano_per_mtok(),
            1_000
        );
        assert!(matches!(
            Rate::parse_usd_per_mtok("0.0000001"),
            Err(DecimalError::TooPrecise { .. })
        ));
        assert!(matches!(
            Rate::parse_usd_per_mtok("-1"),
            Err(DecimalError::Negative(_))
        ));
        assert!(matches!(
            Rate::parse_usd_per_mtok("abc"),
            Err(DecimalError::NotANumber(_))
        ));
        assert!(matches!(
            Rate::parse_usd_per_mtok("."),
            Err(DecimalError::NotANumber(_))
        ));
    }

    #[test]
    fn cost_of_a_million_tokens_is_the_price() {
        let rate = Rate::parse_usd_per_mtok("15").unwrap();
        assert_eq!(rate.cost(1_000_000).to_decimal_string(2), "15.00");
        // 500 tokens at $0.05/M = $0.000025 exactly.
        let nano = Rate::parse_usd_per_mtok("0.05").unwrap();
        assert_eq!(nano.cost(500).0, 25_000_000_000);
    }

    #[test]
    fn multiplier_scaling_is_exact() {
        let rate = Rate::parse_usd_per_mtok("0.000001").unwrap();
        let half = Multiplier::parse("0.5").unwrap();
        assert_eq!(rate.scaled(half).nano_per_mtok(), 500);
        assert_eq!(half.to_string(), "0.5");
    }

    #[test]
    fn displays_money_for_people() {
        assert_eq!(
            Money(1_234_567 * FEMTO_PER_USD / 100).display_usd(),
            "$12,345.67"
        );
        assert_eq!(Money(42 * FEMTO_PER_USD / 10_000).display_usd(), "$0.0042");
        assert_eq!(Money::ZERO.display_usd(), "$0.00");
        assert_eq!(Money(-FEMTO_PER_USD * 3 / 2).display_usd(), "-$1.50");
        assert_eq!(Money(FEMTO_PER_USD * 3 / 2).display_signed_usd(), "+$1.50");
        assert_eq!(Money(-FEMTO_PER_USD * 3 / 2).display_signed_usd(), "-$1.50");
        assert_eq!(Money::ZERO.display_signed_usd(), "$0.00");
        assert_eq!(Rate::parse_usd_per_mtok("3").unwrap().to_string(), "$3.00");
        assert_eq!(
            Rate::parse_usd_per_mtok("0.075").unwrap().to_string(),
            "$0.075"
        );
        assert_eq!(
            Rate::parse_usd_per_mtok("2.5").unwrap().to_string(),
            "$2.50"
        );
    }

    #[test]
    fn rounds_half_away_from_zero() {
        let half_cent = Money(FEMTO_PER_USD / 200);
        assert_eq!(half_cent.round_to(2), 1);
        assert_eq!(Money(-half_cent.0).round_to(2), -1);
        assert_eq!(Money(FEMTO_PER_USD / 200 - 1).round_to(2), 0);
    }

    #[test]
    fn shares_in_basis_points() {
        assert_eq!(Money(1).share_basis_points(Money(3)), Some(3333));
        assert_eq!(Money(2).share_basis_points(Money(3)), Some(6667));
        assert_eq!(Money(2).share_basis_points(Money(0)), None);
    }

    proptest! {
        #[test]
        fn decimal_round_trips(whole in 0i64..1_000_000, frac in 0i64..1_000_000) {
            let text = format!("{whole}.{frac:06}");
            let rate = Rate::parse_usd_per_mtok(&text).unwrap();
            prop_assert_eq!(rate.nano_per_mtok(), (whole * 1_000_000 + frac) * 1000);
        }

        #[test]
        fn cost_is_linear_in_tokens(a in 0u64..10_000_000, b in 0u64..10_000_000, micro in 0i64..200_000_000) {
            let rate = Rate::from_nano_per_mtok(micro * 1000);
            prop_assert_eq!(rate.cost(a) + rate.cost(b), rate.cost(a + b));
        }
    }
}
