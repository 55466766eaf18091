//! Strict reading of maps: a key given twice is an error naming the key.
//!
//! serde's maps keep the last of two equal keys silently; in a model that
//! turned `"roi": 0.2, "roi": 0` into a changed score for 883 of 2,000
//! accounts. Every map the crate reads (weights, named dates) goes through
//! here. Struct fields are already strict (serde reports a duplicate field).

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

/// A map read strictly: a repeated key is an error.
pub(crate) struct UniqueMap<K, V>(pub(crate) BTreeMap<K, V>);

impl<'de, K, V> Deserialize<'de> for UniqueMap<K, V>
where
    K: Deserialize<'de> + Ord + fmt::Debug,
    V: Deserialize<'de>,
{
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V_<K, V>(PhantomData<(K, V)>);
        impl<'de, K, V> Visitor<'de> for V_<K, V>
        where
            K: Deserialize<'de> + Ord + fmt::Debug,
            V: Deserialize<'de>,
        {
            type Value = UniqueMap<K, V>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map with each key once")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = BTreeMap::new();
                while let Some((k, v)) = map.next_entry::<K, V>()? {
                    if out.contains_key(&k) {
                        return Err(serde::de::Error::custom(format!(
                            "duplicate key {k:?}: each key may appear once"
                        )));
                    }
                    out.insert(k, v);
                }
                Ok(UniqueMap(out))
            }
        }
        d.deserialize_map(V_(PhantomData))
    }
}

/// `#[serde(deserialize_with = "crate::strict::map")]` for a `BTreeMap` field.
pub(crate) fn map<'de, D, K, V>(d: D) -> Result<BTreeMap<K, V>, D::Error>
where
    D: Deserializer<'de>,
    K: Deserialize<'de> + Ord + fmt::Debug,
    V: Deserialize<'de>,
{
    UniqueMap::deserialize(d).map(|m| m.0)
}
