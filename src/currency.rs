//! Amounts shown in another currency (`--currency EUR --rate 0.92`).
//!
//! costsim prices in USD, exactly (femto-dollars). A display currency
//! changes what people read, not what is computed: each amount a table,
//! markdown or HTML page shows is its exact USD amount times the rate the
//! user gave (no rate is looked up: costsim works offline), rounded half
//! away from zero to a femto-unit of that currency, then to the column's
//! places. CSV and JSON stay in exact USD (their columns say `_usd`), and
//! JSON states the rate, so machine-read figures stay checkable against a
//! USD invoice.

use std::sync::OnceLock;

use crate::money::{parse_scaled_decimal, Money};

/// Decimal places a rate may have.
const RATE_DECIMALS: u32 = 9;

/// A currency and how many of its units one US dollar buys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Currency {
    /// ISO 4217 code, upper case: `EUR`.
    pub code: String,
    /// The rate as given, units of `code` per USD: `0.92`.
    pub per_usd: String,
    /// The rate scaled by 10^RATE_DECIMALS.
    scaled: i128,
}

#[derive(Debug, thiserror::Error)]
pub enum CurrencyError {
    #[error("--currency: `{0}` is not a three-letter currency code (EUR, GBP, JPY)")]
    Code(String),
    #[error("--rate: `{text}` is not a positive decimal number of {code} per US dollar with at most {RATE_DECIMALS} decimals (e.g. 0.92)")]
    Rate { text: String, code: String },
}

impl Currency {
    pub fn parse(code: &str, rate: &str) -> Result<Currency, CurrencyError> {
        let code = code.trim();
        if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_alphabetic()) {
            return Err(CurrencyError::Code(code.to_string()));
        }
        let code = code.to_ascii_uppercase();
        let scaled = parse_scaled_decimal(rate, RATE_DECIMALS)
            .ok()
            .filter(|&n| n > 0)
            .ok_or_else(|| CurrencyError::Rate {
                text: rate.to_string(),
                code: code.clone(),
            })?;
        Ok(Currency {
            code,
            per_usd: rate.trim().to_string(),
            scaled: i128::from(scaled),
        })
    }

    /// `amount` (USD) in this currency, in its femto-units: rounded half
    /// away from zero; saturating at the bounds (an overflowed total).
    pub fn convert(&self, amount: Money) -> Money {
        let unit = 10i128.pow(RATE_DECIMALS);
        let Some(product) = amount.femto().checked_mul(self.scaled) else {
            return Money(if amount.femto() < 0 {
                i128::MIN
            } else {
                i128::MAX
            });
        };
        let half = unit / 2;
        Money(if product >= 0 {
            (product + half) / unit
        } else {
            (product - half) / unit
        })
    }

    /// What goes before an amount: `€`, `£`, `¥`, or the code and a space.
    pub fn prefix(&self) -> String {
        match self.code.as_str() {
            "USD" => "$".to_string(),
            "EUR" => "€".to_string(),
            "GBP" => "£".to_string(),
            "JPY" => "¥".to_string(),
            "INR" => "₹".to_string(),
            "KRW" => "₩".to_string(),
            other => format!("{other} "),
        }
    }
}

static DISPLAY: OnceLock<Currency> = OnceLock::new();

/// Shows every amount people read in `currency` from now on, for the rest
/// of the process (one command runs per process). A second call is ignored.
pub fn show_amounts_in(currency: Currency) {
    let _ = DISPLAY.set(currency);
}

/// The currency amounts are shown in, when not USD.
pub fn display() -> Option<&'static Currency> {
    DISPLAY.get()
}

/// `amount` as shown: converted when a display currency is set, and the
/// text that goes before it.
pub fn shown(amount: Money) -> (Money, std::borrow::Cow<'static, str>) {
    match display() {
        Some(c) => (c.convert(amount), std::borrow::Cow::Owned(c.prefix())),
        None => (amount, std::borrow::Cow::Borrowed("$")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::FEMTO_PER_USD;

    #[test]
    fn amounts_convert_exactly_and_round_half_away_from_zero() {
        let eur = Currency::parse("eur", "0.92").unwrap();
        assert_eq!(eur.code, "EUR");
        // $6.156919 × 0.92 = €5.66436548
        assert_eq!(
            eur.convert(Money(6_156_919_000_000_000)),
            Money(5_664_365_480_000_000)
        );
        // 1 femto-dollar × 0.92 = 0.92 femto-euro: rounds to 1; a half rounds away.
        assert_eq!(eur.convert(Money(1)), Money(1));
        let half = Currency::parse("EUR", "0.5").unwrap();
        assert_eq!(half.convert(Money(1)), Money(1));
        assert_eq!(half.convert(Money(-1)), Money(-1));
        assert_eq!(half.convert(Money(3)), Money(2));
        let yen = Currency::parse("JPY", "151.25").unwrap();
        assert_eq!(
            yen.convert(Money(2 * FEMTO_PER_USD)),
            Money(30_250 * FEMTO_PER_USD / 100)
        );
        assert_eq!(yen.convert(Money(i128::MAX)), Money(i128::MAX));
        assert_eq!(yen.prefix(), "¥");
        assert_eq!(Currency::parse("chf", "0.88").unwrap().prefix(), "CHF ");
    }

    #[test]
    fn bad_codes_and_rates_are_refused() {
        for (code, rate) in [
            ("EURO", "1"),
            ("E1R", "1"),
            ("EUR", "0"),
            ("EUR", "-1"),
            ("EUR", "abc"),
            ("EUR", "1.0000000001"),
            ("EUR", ""),
        ] {
            assert!(Currency::parse(code, rate).is_err(), "{code} {rate}");
        }
    }
}
