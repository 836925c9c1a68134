//! Maximum-weight bipartite matching (the Hungarian algorithm, O(n³)): pairs truth lines with
//! extracted lines so that the total number of agreeing fields is largest.

/// Pairs rows with columns maximising the summed weight. Returns `(row, col)` pairs; a row may
/// stay unpaired when there are more rows than columns (and vice versa). Pairs of weight 0 are
/// dropped: they share nothing.
pub fn max_weight_matching(weights: &[Vec<f64>]) -> Vec<(usize, usize)> {
    let rows = weights.len();
    let cols = weights.iter().map(Vec::len).max().unwrap_or(0);
    if rows == 0 || cols == 0 {
        return Vec::new();
    }
    let n = rows.max(cols);
    let max_w = weights.iter().flatten().copied().fold(0.0_f64, f64::max);
    // Minimise cost = max_w - weight on a square matrix (padding costs max_w: weight 0).
    let cost = |i: usize, j: usize| -> f64 {
        max_w
            - weights
                .get(i)
                .and_then(|r| r.get(j))
                .copied()
                .unwrap_or(0.0)
    };
    // Classic e-maxx formulation with 1-based potentials.
    let inf = f64::INFINITY;
    let mut u = vec![0.0; n + 1];
    let mut v = vec![0.0; n + 1];
    let mut p = vec![0usize; n + 1];
    let mut way = vec![0usize; n + 1];
    for i in 1..=n {
        p[0] = i;
        let mut j0 = 0usize;
        let mut minv = vec![inf; n + 1];
        let mut used = vec![false; n + 1];
        loop {
            used[j0] = true;
            let i0 = p[j0];
            let mut delta = inf;
            let mut j1 = 0usize;
            for j in 1..=n {
                if !used[j] {
                    let cur = cost(i0 - 1, j - 1) - u[i0] - v[j];
                    if cur < minv[j] {
                        minv[j] = cur;
                        way[j] = j0;
                    }
                    if minv[j] < delta {
                        delta = minv[j];
                        j1 = j;
                    }
                }
            }
            for j in 0..=n {
                if used[j] {
                    u[p[j]] += delta;
                    v[j] -= delta;
                } else {
                    minv[j] -= delta;
                }
            }
            j0 = j1;
            if p[j0] == 0 {
                break;
            }
        }
        loop {
            let j1 = way[j0];
            p[j0] = p[j1];
            j0 = j1;
            if j0 == 0 {
                break;
            }
        }
    }
    let mut pairs = Vec::new();
    for (j, &i) in p.iter().enumerate().skip(1) {
        if i >= 1 && i <= rows && j <= cols {
            let w = weights[i - 1].get(j - 1).copied().unwrap_or(0.0);
            if w > 0.0 {
                pairs.push((i - 1, j - 1));
            }
        }
    }
    pairs.sort_unstable();
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn total(w: &[Vec<f64>], pairs: &[(usize, usize)]) -> f64 {
        pairs.iter().map(|&(i, j)| w[i][j]).sum()
    }

    #[test]
    fn finds_the_best_assignment_not_the_greedy_one() {
        // Greedy takes (0,0)=5 and then (1,1)=1: 6. Best is (0,1)+(1,0) = 4+4 = 8.
        let w = vec![vec![5.0, 4.0], vec![4.0, 1.0]];
        let m = max_weight_matching(&w);
        assert_eq!(m, vec![(0, 1), (1, 0)]);
        assert_eq!(total(&w, &m), 8.0);
    }

    #[test]
    fn rectangular_and_empty() {
        let w = vec![vec![0.0, 3.0, 1.0]];
        assert_eq!(max_weight_matching(&w), vec![(0, 1)]);
        let w = vec![vec![2.0], vec![3.0], vec![0.0]];
        assert_eq!(max_weight_matching(&w), vec![(1, 0)]);
        assert!(max_weight_matching(&[]).is_empty());
        assert!(max_weight_matching(&[vec![0.0, 0.0]]).is_empty());
    }

    #[test]
    fn a_missing_line_does_not_shift_the_rest() {
        // Truth lines A B C, extracted A C: C must pair with C.
        let w = vec![vec![3.0, 0.0], vec![1.0, 1.0], vec![0.0, 3.0]];
        assert_eq!(max_weight_matching(&w), vec![(0, 0), (2, 1)]);
    }
}
