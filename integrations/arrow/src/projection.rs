//! Which of a file's columns are read: a warehouse export (`SELECT *`)
//! carries notes, addresses and attributes the model never reads, which
//! would otherwise be decoded, held and thrown away batch after batch.

use arrow_schema::Schema;
use healthscore::Model;

/// Columns every file must have by its exact name before the others are
/// left unread.
const REQUIRED: [&str; 3] = ["id", "mrr", "employees"];

/// The positions of the columns of `schema` that scoring reads (see
/// [`reads`](crate::input::reads)), in order; `None` when every column is
/// read anyway, or when a column the model needs is not there by its
/// exact name: then every column is read, so that the error can point at
/// one named almost like it (`MRR`, `Weekly Active Ratio`).
pub(crate) fn projection(model: &Model, schema: &Schema) -> Option<Vec<usize>> {
    let has = |name: &str| schema.column_with_name(name).is_some();
    if !REQUIRED.iter().all(|n| has(n)) || !model.metric_ids().all(has) {
        return None;
    }
    let read: Vec<usize> = schema
        .fields()
        .iter()
        .enumerate()
        .filter(|(_, f)| crate::input::reads(model, f.name()))
        .map(|(i, _)| i)
        .collect();
    (read.len() < schema.fields().len()).then_some(read)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_schema::{DataType, Field};

    fn model() -> Model {
        Model::new(
            serde_json::from_str(include_str!("../../../examples/data/model-v0m.json")).unwrap(),
        )
        .unwrap()
    }

    fn schema(names: &[&str]) -> Schema {
        Schema::new(
            names
                .iter()
                .map(|n| Field::new(*n, DataType::Utf8, true))
                .collect::<Vec<_>>(),
        )
    }

    fn all(model: &Model, extra: &[&str], leading: &[&str]) -> Vec<String> {
        let mut names: Vec<String> = leading.iter().map(|s| s.to_string()).collect();
        names.extend(["id", "mrr", "employees"].map(String::from));
        names.extend(model.metric_ids().map(String::from));
        names.extend(extra.iter().map(|s| s.to_string()));
        names
    }

    #[test]
    fn only_the_columns_scoring_reads() {
        let model = model();
        let names = all(
            &model,
            &["notes", "nps__observed_on", "renewal__date", "region"],
            &["account_name"],
        );
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let read = projection(&model, &schema(&refs)).expect("some left unread");
        let kept: Vec<&str> = read.iter().map(|i| refs[*i]).collect();
        assert!(!kept.contains(&"account_name") && !kept.contains(&"notes"));
        assert!(!kept.contains(&"region"));
        assert!(kept.contains(&"nps__observed_on") && kept.contains(&"renewal__date"));
        assert_eq!(kept.len(), refs.len() - 3);
        // Nothing to leave out.
        let exact = all(&model, &[], &[]);
        let exact: Vec<&str> = exact.iter().map(String::as_str).collect();
        assert_eq!(projection(&model, &schema(&exact)), None);
    }

    #[test]
    fn everything_is_read_when_a_needed_column_is_not_there_by_name() {
        let model = model();
        let names = all(&model, &["notes"], &[]);
        for (wrong, right) in [("MRR", "mrr"), ("NPS", "nps"), ("ID", "id")] {
            let renamed: Vec<&str> = names
                .iter()
                .map(|n| if n == right { wrong } else { n.as_str() })
                .collect();
            assert_eq!(projection(&model, &schema(&renamed)), None, "{wrong}");
        }
    }
}
