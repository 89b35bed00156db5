//! The controller: the part of Kafka that decides who leads each partition.
//!
//! * **KRaft mode** (the default, and the only mode from Kafka 4.0): a small quorum of
//!   controller nodes (3 here) runs Raft. One is the **active controller**; every metadata
//!   change is a record in the replicated **metadata log** (`__cluster_metadata`). Brokers
//!   send heartbeats; a broker not heard from for `broker.session.timeout.ms` (9000 ms) is
//!   **fenced**: removed from every ISR, and its partitions get new leaders. If the active
//!   controller dies, the others elect a new one after `controller.quorum.election.timeout.ms`
//!   (1000 ms), as long as a majority is alive.
//! * **ZooKeeper mode** (Kafka ≤ 3.x): a ZooKeeper ensemble stores the metadata; one broker
//!   holds the `/controller` znode and acts as controller. Brokers register with ephemeral
//!   znodes that vanish after `zookeeper.session.timeout.ms` (18000 ms).
//!
//! Leader election itself is the same rule in both modes (`PartitionChangeBuilder`,
//! `PartitionLeaderElectionAlgorithms`): the first replica, in assignment order, that is in
//! the ISR and alive. If there is none, the partition goes offline — unless
//! `unclean.leader.election.enable=true`, which lets an out-of-sync replica lead and so
//! throws away whatever it had not copied.

use serde::{Deserialize, Serialize};

use super::ids::BrokerId;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ControllerMode {
    #[default]
    Kraft,
    Zookeeper,
}

/// The outcome of a leader election.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Election {
    pub leader: BrokerId,
    pub unclean: bool,
}

/// Kafka's election rule: the first replica (in assignment order) that is in the ISR and
/// eligible (alive, not fenced); failing that, with unclean election enabled, the first
/// eligible replica at all.
///
/// ```
/// use kafka_playground::broker::controller::elect_leader;
/// let live = |b: u32| b != 1;
/// // Replicas [1, 2, 3], ISR [1, 3], broker 1 died: broker 3 is next in the ISR.
/// assert_eq!(elect_leader(&[1, 2, 3], &[1, 3], live, false).unwrap().leader, 3);
/// // ISR [1] only: clean election finds nobody...
/// assert!(elect_leader(&[1, 2, 3], &[1], live, false).is_none());
/// // ...unclean election picks broker 2 and loses what it lacked.
/// assert!(elect_leader(&[1, 2, 3], &[1], live, true).unwrap().unclean);
/// ```
pub fn elect_leader(
    replicas: &[BrokerId],
    isr: &[BrokerId],
    eligible: impl Fn(BrokerId) -> bool,
    unclean_leader_election_enable: bool,
) -> Option<Election> {
    if let Some(&leader) = replicas.iter().find(|&&r| isr.contains(&r) && eligible(r)) {
        return Some(Election {
            leader,
            unclean: false,
        });
    }
    if unclean_leader_election_enable {
        if let Some(&leader) = replicas.iter().find(|&&r| eligible(r)) {
            return Some(Election {
                leader,
                unclean: true,
            });
        }
    }
    None
}

/// A majority of `voters` (Raft's quorum; also ZooKeeper's).
pub fn has_majority(alive: usize, voters: usize) -> bool {
    alive * 2 > voters
}

/// One entry of the KRaft metadata log, shown to the learner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetadataRecord {
    pub offset: u64,
    /// The controller epoch (Raft term) in which the record was written.
    pub epoch: u32,
    /// `RegisterBrokerRecord`, `TopicRecord`, `PartitionRecord`, `PartitionChangeRecord`, ...
    pub record_type: String,
    pub description: String,
}

/// How many metadata records the view keeps; older ones are folded into a snapshot, as
/// KRaft does with `metadata.log.max.record.bytes.between.snapshots`.
pub const METADATA_LOG_KEPT: usize = 200;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_election_follows_assignment_order() {
        assert_eq!(
            elect_leader(&[2, 1, 3], &[1, 2, 3], |_| true, false)
                .unwrap()
                .leader,
            2
        );
        assert_eq!(
            elect_leader(&[2, 1, 3], &[1, 3], |_| true, false)
                .unwrap()
                .leader,
            1
        );
    }

    #[test]
    fn dead_isr_members_are_skipped() {
        let election = elect_leader(&[1, 2, 3], &[1, 2, 3], |b| b == 3, false).unwrap();
        assert_eq!(
            election,
            Election {
                leader: 3,
                unclean: false
            }
        );
    }

    #[test]
    fn unclean_only_when_enabled_and_no_isr_member_lives() {
        assert!(elect_leader(&[1, 2], &[1], |b| b == 2, false).is_none());
        assert_eq!(
            elect_leader(&[1, 2], &[1], |b| b == 2, true),
            Some(Election {
                leader: 2,
                unclean: true
            })
        );
        assert!(elect_leader(&[1, 2], &[1], |_| false, true).is_none());
    }

    #[test]
    fn majority() {
        assert!(has_majority(2, 3));
        assert!(!has_majority(1, 3));
        assert!(!has_majority(2, 4));
    }
}
