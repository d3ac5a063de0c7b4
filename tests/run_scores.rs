//! One checkpoint, one score: the scores a run writes when it ends are the
//! ones `ganforge eval` gives its checkpoint later, to every digit, and only
//! the latents' seed moves them.
mod common;

use common::{fresh_temp_dir, ganforge, tiny_run};

#[test]
fn a_runs_own_scores_are_what_eval_gives_its_checkpoint() {
    let dir = fresh_temp_dir("run-scores");
    let (folder, checkpoint) = tiny_run(&dir, "dcgan", "dcgan", &[]);
    let at_the_end = std::fs::read_to_string(format!("{folder}/eval.json")).expect("the run writes eval.json");

    let scored = |seed: &str| {
        let json = dir.join(format!("eval-seed{seed}.json")).to_string_lossy().into_owned();
        let (ok, text) =
            ganforge(&["eval", "--checkpoint", &checkpoint, "--n", "2000", "--seed", seed, "--json", &json]);
        assert!(ok, "eval failed:\n{text}");
        std::fs::read_to_string(&json).expect("eval writes its report")
    };
    // The run's score is eval's with its defaults: the same samples from the same file.
    assert_eq!(at_the_end, scored("1"), "the run's eval.json and `eval --n 2000` disagree");
    // Other latents are another draw of 2,000 samples, and another score.
    assert_ne!(at_the_end, scored("2"), "the latents' seed should change the samples scored");
    std::fs::remove_dir_all(&dir).unwrap();
}
