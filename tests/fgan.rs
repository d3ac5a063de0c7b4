//! f-GAN's table (Nowozin, Cseke and Tomioka, 2016), checked row by row
//! against its definitions rather than against itself:
//! - f* is the Fenchel conjugate: f*(t) = sup_u (u t - f(u)), found here by a
//!   golden-section search in f64;
//! - the output activation g_f maps every raw output v into dom f*, and
//!   f*(g_f(v)) stays finite;
//! - at the optimal critic T* = f'(p/q) the variational bound
//!   E_P[T*] - E_Q[f*(T*)] is the divergence itself.

use ganforge::gan::Divergence;
use ganforge::Tensor;

/// The table's rows plus the parameters the issue names: alpha > 1 (its own
/// activation), alpha < 0, and weighted Jensen-Shannon at other weights.
fn rows() -> Vec<Divergence> {
    let mut rows = Divergence::ALL.to_vec();
    rows.extend([
        Divergence::Alpha(3.0),
        Divergence::Alpha(-1.0),
        Divergence::JensenShannonWeighted(0.5),
        Divergence::JensenShannonWeighted(0.9),
    ]);
    rows
}

/// The range of f' over u > 0, [low, high]: where T* = f'(p/q) lives, and
/// what the activation must cover (dom f* is this set, or contains it).
fn range_of_f_prime(divergence: Divergence) -> (f64, f64) {
    let inf = f64::INFINITY;
    match divergence {
        Divergence::TotalVariation => (-0.5, 0.5),
        Divergence::KullbackLeibler | Divergence::PearsonChiSquared | Divergence::Jeffrey => (-inf, inf),
        Divergence::ReverseKullbackLeibler | Divergence::Gan => (-inf, 0.0),
        Divergence::NeymanChiSquared | Divergence::SquaredHellinger => (-inf, 1.0),
        Divergence::JensenShannon => (-inf, 2f64.ln()),
        Divergence::JensenShannonWeighted(pi) => (-inf, -f64::from(pi) * f64::from(pi).ln()),
        Divergence::Alpha(a) if a < 1.0 => (-inf, 1.0 / (1.0 - f64::from(a))),
        Divergence::Alpha(a) => (1.0 / (1.0 - f64::from(a)), inf),
    }
}

/// sup_u (u t - f(u)) over dom f by golden-section search: u t - f(u) is
/// concave in u, so unimodal in u and in log u. The table's TV and Pearson
/// f are written for every real u (so Pearson's f*(t) = t^2/4 + t also for
/// t < -2, where u > 0 alone would give -f(0)); the others need u > 0,
/// searched as log u in [-60, 60].
fn supremum(divergence: Divergence, t: f64) -> f64 {
    let real_line = matches!(divergence, Divergence::TotalVariation | Divergence::PearsonChiSquared);
    let objective = |x: f64| {
        let u = if real_line { x } else { x.exp() };
        u * t - divergence.f(u)
    };
    let ratio = (5f64.sqrt() - 1.0) / 2.0;
    let (mut lo, mut hi) = if real_line { (-1e3, 1e3) } else { (-60.0, 60.0) };
    for _ in 0..300 {
        let (a, b) = (hi - ratio * (hi - lo), lo + ratio * (hi - lo));
        if objective(a) < objective(b) {
            lo = a;
        } else {
            hi = b;
        }
    }
    objective(0.5 * (lo + hi))
}

fn vector(values: &[f32]) -> Tensor {
    Tensor::from_vec(values.to_vec(), &[values.len()])
}

fn close(got: f32, want: f64) -> bool {
    (f64::from(got) - want).abs() <= 1e-3 * (1.0 + want.abs())
}

#[test]
fn conjugate_is_the_fenchel_supremum() {
    let v = vector(&[-4.0, -1.0, 0.0, 1.0, 4.0]);
    let mut failures = Vec::new();
    for divergence in rows() {
        let t = divergence.activation(&v);
        let (t_values, conjugate) = (t.to_vec(), divergence.conjugate(&t).to_vec());
        let composed = divergence.conjugate_of_activation(&v).to_vec();
        for (k, &tk) in t_values.iter().enumerate() {
            let want = supremum(divergence, f64::from(tk));
            if !close(conjugate[k], want) || !close(composed[k], want) {
                failures.push(format!(
                    "{divergence:?}: f*({tk}) = {}, f*(g_f(v)) = {}, supremum {want}",
                    conjugate[k], composed[k]
                ));
            }
        }
    }
    // Jeffrey's f* = W(e^(1-t)) + 1/W(e^(1-t)) + t - 2 far below t = -87, where e^(1-t) overflows f32.
    let t = [-100.0, -1000.0, -10000.0];
    let conjugate = Divergence::Jeffrey.conjugate(&vector(&t)).to_vec();
    for (&tk, &got) in t.iter().zip(&conjugate) {
        let want = supremum(Divergence::Jeffrey, f64::from(tk));
        if !close(got, want) {
            failures.push(format!("Jeffrey: f*({tk}) = {got}, supremum {want}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn activation_lands_in_the_conjugate_domain() {
    let grid: Vec<f32> = (0..=100).map(|i| -50.0 + i as f32).collect();
    let mut failures = Vec::new();
    for divergence in rows() {
        let mut v = grid.clone();
        if divergence == Divergence::Jeffrey {
            // g_f is the identity: t = v reaches far below -87.
            v.extend([-100.0, -1000.0, -10000.0]);
        }
        let t = divergence.activation(&vector(&v)).to_vec();
        let conjugate = divergence.conjugate_of_activation(&vector(&v)).to_vec();
        // Closed at the ends: in f32, 1/(1-a) - softplus(-50) rounds to 1/(1-a).
        // And one f32 rounding of slack, since g_f's constant is computed in f32.
        let (low, high) = range_of_f_prime(divergence);
        let slack = |end: f64| 1e-6 * (1.0 + end.abs());
        for k in 0..v.len() {
            let tk = f64::from(t[k]);
            if !(low - slack(low) <= tk && tk <= high + slack(high) && conjugate[k].is_finite()) {
                failures.push(format!(
                    "{divergence:?}: g_f({}) = {tk} (range of f' [{low}, {high}]), f*(g_f) = {}",
                    v[k], conjugate[k]
                ));
                break; // one line per row is enough
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// f'(u) by a central difference (f is smooth away from TV's kink at u = 1).
fn derivative(divergence: Divergence, u: f64) -> f64 {
    let h = 1e-6 * u;
    (divergence.f(u + h) - divergence.f(u - h)) / (2.0 * h)
}

#[test]
fn bound_at_the_optimal_critic_is_the_divergence() {
    let p = [0.1, 0.2, 0.3, 0.4];
    let q = [0.4, 0.3, 0.2, 0.1];
    for divergence in rows() {
        let optimal: Vec<f32> = p.iter().zip(&q).map(|(p, q)| derivative(divergence, p / q) as f32).collect();
        let conjugate = divergence.conjugate(&vector(&optimal)).to_vec();
        let bound: f64 = (0..p.len()).map(|i| p[i] * f64::from(optimal[i]) - q[i] * f64::from(conjugate[i])).sum();
        let divergence_value: f64 = p.iter().zip(&q).map(|(p, q)| q * divergence.f(p / q)).sum();
        assert!(
            (bound - divergence_value).abs() < 1e-4 * (1.0 + divergence_value.abs()),
            "{divergence:?}: bound at T* = {bound}, D_f = {divergence_value}"
        );
    }
    // Two rows against their textbook definitions, independently of f.
    let kl = |a: &[f64], b: &[f64]| -> f64 { a.iter().zip(b).map(|(a, b)| a * (a / b).ln()).sum() };
    let sum_qf = |d: Divergence| -> f64 { p.iter().zip(&q).map(|(p, q)| q * d.f(p / q)).sum() };
    assert!((sum_qf(Divergence::KullbackLeibler) - kl(&p, &q)).abs() < 1e-12);
    let pi = 0.25;
    let mixture: Vec<f64> = p.iter().zip(&q).map(|(p, q)| pi * p + (1.0 - pi) * q).collect();
    let weighted_js = pi * kl(&p, &mixture) + (1.0 - pi) * kl(&q, &mixture);
    let from_f = sum_qf(Divergence::JensenShannonWeighted(pi as f32));
    assert!((from_f - weighted_js).abs() < 1e-6, "weighted JS: sum q f(p/q) = {from_f}, definition {weighted_js}");
}

#[test]
fn weighted_jensen_shannon_and_alpha_parse_from_their_names() {
    assert_eq!(Divergence::parse("js-weighted=0.25"), Some(Divergence::JensenShannonWeighted(0.25)));
    assert_eq!(Divergence::parse("js-weighted=1"), None);
    assert_eq!(Divergence::parse("js-weighted=0"), None);
    assert_eq!(Divergence::parse("alpha=3"), Some(Divergence::Alpha(3.0)));
    assert_eq!(Divergence::ALL.len(), 11);
}

/// Jeffrey's conjugate goes through Lambert's W in log space: its gradient
/// must be the maximiser, (f*)'(t) = u* with f'(u*) = t (the envelope
/// theorem), also far below t = -87, and twice differentiable.
#[test]
fn jeffrey_conjugate_gradient_is_the_maximiser() {
    let t_values = [-1000.0, -100.0, -3.0, 0.0, 2.0];
    let t = vector(&t_values).requires_grad_();
    let gradient = ganforge::grad(&[&Divergence::Jeffrey.conjugate(&t).sum_all()], &[&t], false).remove(0).to_vec();
    for (&tk, &u) in t_values.iter().zip(&gradient) {
        let slope = derivative(Divergence::Jeffrey, f64::from(u));
        assert!(
            (slope - f64::from(tk)).abs() < 1e-3 * (1.0 + f64::from(tk).abs()),
            "t = {tk}: u* = {u}, f'(u*) = {slope}"
        );
    }
    let conjugate = |x: &[Tensor]| Divergence::Jeffrey.conjugate(&x[0]);
    let inputs = [vector(&[-2.5, -0.7, 0.3, 1.5])];
    ganforge::gradcheck::gradcheck(conjugate, &inputs).unwrap();
    ganforge::gradcheck::gradgradcheck(conjugate, &inputs).unwrap();
}
