//! What to do about each of etcd's alarms: the dashboard and `lifeboat status` name it beside
//! the alarm, so nobody has to look it up at night.

/// The way out of a raised alarm, in commands where there are some.
pub fn alarm_advice(alarm: &str) -> &'static str {
    match alarm {
        "NOSPACE" => {
            "the database hit its quota and etcd refuses every write: run :nospace (`lifeboat \
             maintenance nospace`), which compacts, defragments each member one at a time \
             leader last, disarms the alarm and proves a write works; raise \
             ETCD_QUOTA_BACKEND_BYTES if the data really needs the room"
        }
        "CORRUPT" => {
            "this member's data disagrees with the others': take it out of service and replace \
             it (:replace), keeping its data dir for the postmortem"
        }
        _ => "see `etcdctl alarm list`; disarm only once the cause is gone",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_alarm_names_its_way_out() {
        assert!(alarm_advice("NOSPACE").contains(":nospace"));
        assert!(alarm_advice("CORRUPT").contains(":replace"));
        assert!(alarm_advice("SOMETHING").contains("alarm list"));
    }
}
