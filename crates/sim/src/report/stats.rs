//! Means over replications and their 95% intervals.
//!
//! Replications of a stochastic model are independent draws of each
//! indicator, so a mean is reported with Student's t interval, and a
//! scenario's difference from the baseline with Welch's interval (the two
//! scenarios may vary by different amounts). Student's quantile comes from
//! the regularised incomplete beta function, so that Welch's fractional
//! degrees of freedom need no table.

use serde::Serialize;

/// A mean and its 95% interval. With one replication (or no variation)
/// the interval is the single value: no spread can be estimated.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Estimate {
    pub mean: f64,
    pub low: f64,
    pub high: f64,
}

impl Estimate {
    /// A value known without spread.
    pub fn exact(value: f64) -> Estimate {
        Estimate {
            mean: value,
            low: value,
            high: value,
        }
    }

    fn around(mean: f64, half: f64) -> Estimate {
        Estimate {
            mean,
            low: mean - half,
            high: mean + half,
        }
    }
}

/// The replications' values of one indicator, reduced to what intervals
/// need.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    pub n: usize,
    pub mean: f64,
    /// Sample variance (n - 1 in the denominator); 0 below two values.
    pub variance: f64,
}

impl Sample {
    /// The sample of `values`; `None` when there are none.
    pub fn of(values: &[f64]) -> Option<Sample> {
        if values.is_empty() {
            return None;
        }
        let n = values.len();
        let mean = values.iter().sum::<f64>() / n as f64;
        let variance = if n < 2 {
            0.0
        } else {
            values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64
        };
        Some(Sample { n, mean, variance })
    }

    /// Squared standard error of the mean (0 below two values).
    fn se2(&self) -> f64 {
        if self.n < 2 {
            0.0
        } else {
            self.variance / self.n as f64
        }
    }

    /// The mean with t(0.975, n - 1) times the standard error either side.
    pub fn interval(&self) -> Estimate {
        let se2 = self.se2();
        if se2 <= 0.0 {
            return Estimate::exact(self.mean);
        }
        let df = (self.n - 1) as f64;
        Estimate::around(self.mean, t_quantile_975(df) * se2.sqrt())
    }

    /// `self - baseline` with Welch's interval: combined standard error
    /// and Welch-Satterthwaite degrees of freedom. A side with one value
    /// adds no variance (none can be estimated).
    pub fn difference(&self, baseline: &Sample) -> Estimate {
        let d = self.mean - baseline.mean;
        let (a, b) = (self.se2(), baseline.se2());
        let se2 = a + b;
        if se2 <= 0.0 {
            return Estimate::exact(d);
        }
        let part = |v: f64, n: usize| {
            if n < 2 { 0.0 } else { v * v / (n - 1) as f64 }
        };
        let df = se2 * se2 / (part(a, self.n) + part(b, baseline.n));
        Estimate::around(d, t_quantile_975(df) * se2.sqrt())
    }
}

/// Student's t quantile at 0.975 for `df` (> 0, fractional allowed)
/// degrees of freedom, by bisection on the distribution function.
pub fn t_quantile_975(df: f64) -> f64 {
    let target = 0.975;
    let (mut lo, mut hi) = (0.0_f64, 16.0_f64);
    while t_cdf(hi, df) < target && hi < 1e12 {
        hi *= 2.0;
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if t_cdf(mid, df) < target {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo < 1e-12 {
            break;
        }
    }
    0.5 * (lo + hi)
}

/// Student's t distribution function at `t >= 0`.
fn t_cdf(t: f64, df: f64) -> f64 {
    let x = df / (df + t * t);
    1.0 - 0.5 * incomplete_beta(x, df / 2.0, 0.5)
}

/// The regularised incomplete beta function I_x(a, b), by its continued
/// fraction (modified Lentz), on the side where it converges fast.
fn incomplete_beta(x: f64, a: f64, b: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let ln_front = ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln();
    let front = ln_front.exp();
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_fraction(x, a, b) / a
    } else {
        1.0 - front * beta_fraction(1.0 - x, b, a) / b
    }
}

fn beta_fraction(x: f64, a: f64, b: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    if d.abs() < TINY {
        d = TINY;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..=300 {
        let m = f64::from(m);
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        if d.abs() < TINY {
            d = TINY;
        }
        c = 1.0 + aa / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        h *= d * c;
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        if d.abs() < TINY {
            d = TINY;
        }
        c = 1.0 + aa / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        let step = d * c;
        h *= step;
        if (step - 1.0).abs() < 1e-15 {
            break;
        }
    }
    h
}

/// ln Γ(x) for x > 0 (Lanczos, g = 7).
fn ln_gamma(x: f64) -> f64 {
    const G: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection: Γ(x)Γ(1 - x) = π / sin(πx).
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut sum = G[0];
    for (i, g) in G.iter().enumerate().skip(1) {
        sum += g / (x + i as f64);
    }
    let t = x + 7.5;
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + sum.ln()
}

/// The difference of two scenarios run on the same seeds, replication by
/// replication: `pairs` holds (scenario, baseline) values of the same
/// replication. Common random numbers make the pair's noise shared, so the
/// interval of the mean difference (Student's t on the differences) is
/// narrower than Welch's, which treats the scenarios as independent.
pub fn paired_difference(pairs: &[(f64, f64)]) -> Option<Estimate> {
    let d: Vec<f64> = pairs.iter().map(|(a, b)| a - b).collect();
    Sample::of(&d).map(|s| s.interval())
}

/// One replication's two-by-two table of first contacts: the group's at
/// primary care and elsewhere, the reference group's at primary care and
/// elsewhere.
pub type TwoByTwo = [u64; 4];

/// The log odds ratio of a table and its variance (Woolf), with half a
/// count added to every cell when one is empty.
fn log_odds(t: &TwoByTwo) -> Option<(f64, f64)> {
    if t[0] + t[1] == 0 || t[2] + t[3] == 0 {
        return None;
    }
    let half = if t.contains(&0) { 0.5 } else { 0.0 };
    let [a, b, c, d] = t.map(|x| x as f64 + half);
    Some((
        (a * d / (b * c)).ln(),
        1.0 / a + 1.0 / b + 1.0 / c + 1.0 / d,
    ))
}

/// The odds ratio of a group against a reference group over replications:
/// the geometric mean of the replications' odds ratios with the t
/// interval of their logarithms, back-transformed. One replication gives
/// Woolf's interval of its own table.
pub fn odds_ratio(tables: &[TwoByTwo]) -> Option<Estimate> {
    let logs: Vec<(f64, f64)> = tables.iter().filter_map(log_odds).collect();
    match logs.as_slice() {
        [] => None,
        [(l, v)] => {
            let half = 1.959_963_984_540_054 * v.sqrt();
            Some(Estimate {
                mean: l.exp(),
                low: (l - half).exp(),
                high: (l + half).exp(),
            })
        }
        _ => {
            let values: Vec<f64> = logs.iter().map(|(l, _)| *l).collect();
            let e = Sample::of(&values)?.interval();
            Some(Estimate {
                mean: e.mean.exp(),
                low: e.low.exp(),
                high: e.high.exp(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn t_quantiles_match_the_printed_tables() {
        for (df, t) in [
            (1.0, 12.706_204_7),
            (2.0, 4.302_652_7),
            (4.0, 2.776_445_1),
            (9.0, 2.262_157_2),
            (30.0, 2.042_272_5),
            (1e6, 1.959_966_4),
        ] {
            let got = t_quantile_975(df);
            assert!(close(got, t, 1e-5), "df {df}: {got} vs {t}");
        }
        // Fractional degrees of freedom fall between their neighbours.
        let mid = t_quantile_975(2.5);
        assert!(mid < 4.302_652_7 && mid > 3.182_446_3, "{mid}");
    }

    #[test]
    fn interval_by_hand() {
        // 1, 2, 3: mean 2, sd 1, se 1/sqrt(3); t(0.975, 2) = 4.302653.
        let s = Sample::of(&[1.0, 2.0, 3.0]).unwrap();
        assert_eq!(s.n, 3);
        assert!(close(s.mean, 2.0, 1e-12));
        assert!(close(s.variance, 1.0, 1e-12));
        let e = s.interval();
        let half = 4.302_652_7 / 3f64.sqrt();
        assert!(close(e.low, 2.0 - half, 1e-6), "{e:?}");
        assert!(close(e.high, 2.0 + half, 1e-6), "{e:?}");
    }

    #[test]
    fn one_replication_is_its_own_interval() {
        let s = Sample::of(&[0.517]).unwrap();
        assert_eq!(s.interval(), Estimate::exact(0.517));
        let b = Sample::of(&[0.5]).unwrap();
        let d = s.difference(&b);
        assert!(close(d.mean, 0.017, 1e-12));
        assert_eq!(d.low, d.mean);
        assert_eq!(d.high, d.mean);
        assert!(Sample::of(&[]).is_none());
    }

    #[test]
    fn odds_ratio_by_hand() {
        // 60 of 100 contracted at primary care, 40 of 100 others: odds 1.5
        // against 0.667, ratio 2.25; Woolf's interval from 1/60 + 1/40 +
        // 1/40 + 1/60.
        let t = [60, 40, 40, 60];
        let e = odds_ratio(&[t]).unwrap();
        assert!(close(e.mean, 2.25, 1e-12));
        let half = 1.959_963_984_540_054 * (2.0 / 60.0 + 2.0 / 40.0_f64).sqrt();
        assert!(close(e.low, (2.25f64.ln() - half).exp(), 1e-12));
        assert!(close(e.high, (2.25f64.ln() + half).exp(), 1e-12));
        // Over replications: the geometric mean of 2.25 and 1 is 1.5.
        let e = odds_ratio(&[t, [50, 50, 50, 50]]).unwrap();
        assert!(close(e.mean, 1.5, 1e-12));
        assert!(e.low < 1.0 && e.high > 2.25);
        assert_eq!(odds_ratio(&[[0, 0, 3, 4]]), None);
    }

    #[test]
    fn paired_difference_by_hand() {
        // Differences 1, 2, 3: mean 2, sd 1, t(0.975, 2) = 4.302653.
        let e = paired_difference(&[(11.0, 10.0), (22.0, 20.0), (33.0, 30.0)]).unwrap();
        assert!(close(e.mean, 2.0, 1e-12));
        let half = 4.302_652_729_911_275 / 3f64.sqrt();
        assert!(close(e.high - 2.0, half, 1e-6));
    }

    #[test]
    fn welch_difference_by_hand() {
        // Scenario 4, 6 (mean 5, var 2); baseline 1, 2, 3 (mean 2, var 1).
        // se2 = 2/2 + 1/3 = 4/3; df = (4/3)^2 / (1/1 + (1/9)/2) = 1.6842...
        let a = Sample::of(&[4.0, 6.0]).unwrap();
        let b = Sample::of(&[1.0, 2.0, 3.0]).unwrap();
        let d = a.difference(&b);
        let se2: f64 = 4.0 / 3.0;
        let df = se2 * se2 / (1.0 + 1.0 / 18.0);
        let half = t_quantile_975(df) * se2.sqrt();
        assert!(close(d.mean, 3.0, 1e-12));
        assert!(close(d.high - d.mean, half, 1e-9));
        // Wider than with df = 2 (fewer degrees of freedom), narrower than df = 1.
        assert!(half > 4.302_652_7 * se2.sqrt() && half < 12.706_204_7 * se2.sqrt());
        // Equal samples: the difference is exactly zero, the interval symmetric.
        let z = b.difference(&b);
        assert!(close(z.mean, 0.0, 1e-12) && close(z.low, -z.high, 1e-12) && z.high > 0.0);
    }
}
