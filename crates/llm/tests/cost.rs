//! Cost arithmetic.

use gatehouse_llm::{cost_usd, Usage};

#[test]
fn cost_is_tokens_times_per_million_prices() {
    let usage = Usage {
        input: 1_000_000,
        output: 500_000,
    };
    assert!((cost_usd(usage, 3.0, 15.0) - 10.5).abs() < 1e-12);
    let usage = Usage {
        input: 1234,
        output: 56,
    };
    let expected = 1234.0 * 0.15 / 1e6 + 56.0 * 0.6 / 1e6;
    assert!((cost_usd(usage, 0.15, 0.6) - expected).abs() < 1e-15);
}

#[test]
fn zero_usage_or_zero_prices_cost_nothing() {
    assert_eq!(cost_usd(Usage::default(), 3.0, 15.0), 0.0);
    assert_eq!(
        cost_usd(
            Usage {
                input: 10,
                output: 10
            },
            0.0,
            0.0
        ),
        0.0
    );
}

#[test]
fn total_saturates_instead_of_overflowing() {
    assert_eq!(
        Usage {
            input: u64::MAX,
            output: 5
        }
        .total(),
        u64::MAX
    );
    assert_eq!(
        Usage {
            input: 2,
            output: 3
        }
        .total(),
        5
    );
}
