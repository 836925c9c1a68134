//! What a request cost: a price table per model (US dollars per million input and output
//! tokens), configurable because prices change more often than releases.

use serde::Serialize;

use crate::provider::Usage;

/// Prices per million tokens, matched by the longest model-name prefix (providers answer with
/// dated names such as `gpt-4o-mini-2024-07-18`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PriceTable {
    entries: Vec<Price>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Price {
    pub model_prefix: String,
    pub input_per_million: f64,
    pub output_per_million: f64,
}

impl Default for PriceTable {
    /// List prices at the time of writing; override with `LLM_PRICES`.
    fn default() -> Self {
        let p = |m: &str, i: f64, o: f64| Price {
            model_prefix: m.to_string(),
            input_per_million: i,
            output_per_million: o,
        };
        PriceTable {
            entries: vec![
                p("gpt-4o-mini", 0.15, 0.60),
                p("gpt-4o", 2.50, 10.00),
                p("gpt-4.1-mini", 0.40, 1.60),
                p("gpt-4.1-nano", 0.10, 0.40),
                p("gpt-4.1", 2.00, 8.00),
                p("claude-sonnet-4", 3.00, 15.00),
                p("claude-haiku-4", 1.00, 5.00),
                p("claude-opus-4", 15.00, 75.00),
                p("claude-3-5-haiku", 0.80, 4.00),
                p("text-embedding-3-small", 0.02, 0.0),
                p("text-embedding-3-large", 0.13, 0.0),
            ],
        }
    }
}

impl PriceTable {
    /// Parses `model=input:output` pairs separated by commas or semicolons, e.g.
    /// `gpt-4o-mini=0.15:0.60,llama3=0:0`. The entries extend (and override) the defaults.
    pub fn parse(spec: &str) -> Result<PriceTable, String> {
        let mut table = PriceTable::default();
        for item in spec
            .split([',', ';'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            let bad = || format!("{item:?} is not model=input_price:output_price");
            let (model, prices) = item.split_once('=').ok_or_else(bad)?;
            let (i, o) = prices.split_once(':').ok_or_else(bad)?;
            let num = |s: &str| {
                s.trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite() && *v >= 0.0)
                    .ok_or_else(bad)
            };
            let price = Price {
                model_prefix: model.trim().to_string(),
                input_per_million: num(i)?,
                output_per_million: num(o)?,
            };
            table
                .entries
                .retain(|p| p.model_prefix != price.model_prefix);
            table.entries.push(price);
        }
        Ok(table)
    }

    /// The price of `model`, if the table knows it.
    pub fn price(&self, model: &str) -> Option<&Price> {
        self.entries
            .iter()
            .filter(|p| model.starts_with(&p.model_prefix))
            .max_by_key(|p| p.model_prefix.len())
    }

    /// Cost in US dollars, if the model's price is known.
    pub fn cost(&self, model: &str, usage: Usage) -> Option<f64> {
        self.price(model).map(|p| {
            (usage.input_tokens as f64 * p.input_per_million
                + usage.output_tokens as f64 * p.output_per_million)
                / 1_000_000.0
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longest_prefix_wins_and_config_overrides() {
        let t = PriceTable::default();
        let u = Usage {
            input_tokens: 1_000_000,
            output_tokens: 1_000_000,
        };
        assert_eq!(t.cost("gpt-4o-mini-2024-07-18", u), Some(0.75));
        assert_eq!(t.cost("gpt-4o-2024-08-06", u), Some(12.5));
        assert_eq!(t.cost("llama3.2-vision", u), None);
        let t = PriceTable::parse("llama3.2-vision=0:0; gpt-4o-mini=1:2").expect("valid");
        assert_eq!(t.cost("llama3.2-vision", u), Some(0.0));
        assert_eq!(t.cost("gpt-4o-mini", u), Some(3.0));
        assert!(PriceTable::parse("gpt=cheap").is_err());
        assert!(PriceTable::parse("gpt=1:-2").is_err());
    }
}
