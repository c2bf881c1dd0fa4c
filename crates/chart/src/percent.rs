//! Percentages, written one way wherever tiercare shows one: on the web
//! pages (figures, tables, tooltips, axes) and in the simulator's report.

/// A share (0.517) as a percentage with `decimals` decimals: "51.7 %".
///
/// A share that is not zero never reads as zero, and one short of the
/// whole never reads as the whole: a reader would take "0.0 %" for
/// "none happened" and "100.0 %" for "all of them". Such shares read
/// "<0.1 %" and ">99.9 %" (at one decimal). Where there is no share at all
/// (an empty denominator) callers write their word for "no figure"
/// instead; a share that is not a number is written as Rust writes it.
pub fn percent(share: f64, decimals: usize) -> String {
    let p = share * 100.0;
    if !p.is_finite() {
        return format!("{p} %");
    }
    let least = 10f64.powi(-(decimals.min(15) as i32));
    let half = least / 2.0;
    if p == 0.0 {
        return format!("{:.decimals$} %", 0.0);
    }
    if p.abs() < half {
        let sign = if p < 0.0 { ">-" } else { "<" };
        return format!("{sign}{least:.decimals$} %");
    }
    if p < 100.0 && p >= 100.0 - half {
        return format!(">{:.decimals$} %", 100.0 - least);
    }
    format!("{p:.decimals$} %")
}

#[cfg(test)]
mod tests {
    use super::percent;

    #[test]
    fn shares_read_as_percentages_and_never_round_to_none_or_all() {
        assert_eq!(percent(0.517, 1), "51.7 %");
        assert_eq!(percent(0.0, 1), "0.0 %");
        assert_eq!(percent(-0.0, 1), "0.0 %");
        assert_eq!(percent(1.0, 1), "100.0 %");
        assert_eq!(percent(1.3, 0), "130 %");
        // One in ten thousand is not none.
        assert_eq!(percent(0.0001, 1), "<0.1 %");
        assert_eq!(percent(0.0004, 1), "<0.1 %");
        assert_eq!(percent(0.0005, 1), "0.1 %");
        assert_eq!(percent(0.001, 0), "<1 %");
        assert_eq!(percent(0.00001, 2), "<0.01 %");
        assert_eq!(percent(-0.0001, 1), ">-0.1 %");
        // 9,999 of 10,000 is not all.
        assert_eq!(percent(0.9999, 1), ">99.9 %");
        assert_eq!(percent(0.999, 1), "99.9 %");
    }
}
