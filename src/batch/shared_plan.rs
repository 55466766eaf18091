//! A model's kernel plan, built once and shared.

use super::plan::Plan;
use crate::model::Model;

/// A model's [`Plan`], built the first time a [`Scorer`](super::Scorer)
/// is made for the model and shared by every scorer after: building it
/// fills about 90 KB of tables (40–52 µs for the reference model v0m in
/// `cargo bench --bench scorer`), which
/// a service making a scorer per request, or SQL per record batch, would
/// otherwise pay on every call. A model is never changed once compiled, so
/// the plan never goes stale.
#[derive(Clone, Default)]
pub(crate) struct PlanCache(std::sync::OnceLock<Option<std::sync::Arc<Plan>>>);

impl PlanCache {
    /// `model`'s plan (the model this cache belongs to), built once.
    pub(crate) fn get(&self, model: &Model) -> Option<std::sync::Arc<Plan>> {
        self.0
            .get_or_init(|| Plan::new(model).map(std::sync::Arc::new))
            .clone()
    }
}

/// Not the tables (90 KB of numbers in a model's `Debug` output): only
/// whether they are built.
impl std::fmt::Debug for PlanCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let built = self.0.get().is_some();
        f.debug_struct("PlanCache").field("built", &built).finish()
    }
}

/// Not the tables either (a [`Scorer`](super::Scorer) holds its plan, and
/// printed about 77 KB with `{:?}` for v0m): how many metrics and
/// scorecards they are for.
impl std::fmt::Debug for Plan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plan")
            .field("metrics", &self.metrics.len())
            .field("scorecards", &self.cards.len())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use crate::batch::Scorer;
    use crate::Model;

    #[test]
    fn scorers_of_one_model_share_its_plan() {
        let model = Model::new(serde_json::from_str(crate::model::EXAMPLE_JSON).unwrap()).unwrap();
        let cache = |model: &Model| format!("{:?}", model.batch_plan);
        assert_eq!(cache(&model), "PlanCache { built: false }");
        let (a, b) = (Scorer::new(&model), Scorer::new(&model));
        assert_eq!(cache(&model), "PlanCache { built: true }");
        // A scorer prints the plan's size, not its tables.
        let plan = format!("Plan {{ metrics: {}, scorecards: ", model.metric_count());
        assert!(format!("{a:?}").contains(&plan), "{a:?}");
        let (Some(pa), Some(pb)) = (&a.plan, &b.plan) else {
            panic!("the example model is columnar")
        };
        assert!(std::sync::Arc::ptr_eq(pa, pb));
        // A clone of the model shares the built plan too; another model
        // (another version) gets its own.
        let clone = model.clone();
        assert!(Scorer::new(&clone)
            .plan
            .as_ref()
            .is_some_and(|p| std::sync::Arc::ptr_eq(p, pa)));
        let mut config: crate::model::ModelConfig =
            serde_json::from_str(crate::model::EXAMPLE_JSON).unwrap();
        config.version = "2".into();
        let other = Model::new(config).unwrap();
        assert!(Scorer::new(&other)
            .plan
            .as_ref()
            .is_some_and(|p| !std::sync::Arc::ptr_eq(p, pa)));
    }
}
