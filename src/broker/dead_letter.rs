//! Processing failures, retry topics and dead letter topics.
//!
//! Kafka itself has no notion of a failed record: the consumer application decides. Two
//! conventions are widespread, and a group can follow either:
//!
//! * **Spring Kafka** non-blocking retries (`@RetryableTopic` with Spring's
//!   `DeadLetterPublishingRecoverer`): a failed record is re-published to a *retry topic*
//!   with a back-off deadline in its headers; the listener of the retry topic waits until
//!   then and tries again; after `attempts` tries in all the record goes to the *dead
//!   letter topic* (`<topic>-dlt`), with `kafka_dlt-*` headers saying where it came from
//!   and why it failed.
//! * **Kafka Connect** sink error handling: `errors.tolerance=none` stops the task at the
//!   first failure; `errors.tolerance=all` skips it, and with
//!   `errors.deadletterqueue.topic.name` writes it to a dead letter queue, with
//!   `__connect.errors.*` headers when `errors.deadletterqueue.context.headers.enable=true`.
//!
//! Retry and dead letter topics are ordinary topics. *Redrive* re-publishes a dead letter
//! topic's records to the topics they came from, once the cause is fixed.

use serde::{Deserialize, Serialize};

use super::cluster::Cluster;
use super::error::BrokerError;
use super::event::EventKind;
use super::ids::TopicPartition;
use super::log::{ReadOutcome, Record};
use super::producer::ProducerConfig;
use super::sorted_map::{sorted_unique, SortedMap};

// Spring's `KafkaHeaders` (`kafka_dlt-*`) and `RetryTopicHeaders` (`retry_topic-*`).
pub const DLT_ORIGINAL_TOPIC: &str = "kafka_dlt-original-topic";
pub const DLT_ORIGINAL_PARTITION: &str = "kafka_dlt-original-partition";
pub const DLT_ORIGINAL_OFFSET: &str = "kafka_dlt-original-offset";
pub const DLT_ORIGINAL_TIMESTAMP: &str = "kafka_dlt-original-timestamp";
pub const DLT_ORIGINAL_TIMESTAMP_TYPE: &str = "kafka_dlt-original-timestamp-type";
pub const DLT_ORIGINAL_CONSUMER_GROUP: &str = "kafka_dlt-original-consumer-group";
pub const DLT_EXCEPTION_FQCN: &str = "kafka_dlt-exception-fqcn";
pub const DLT_EXCEPTION_CAUSE_FQCN: &str = "kafka_dlt-exception-cause-fqcn";
pub const DLT_EXCEPTION_MESSAGE: &str = "kafka_dlt-exception-message";
pub const DLT_EXCEPTION_STACKTRACE: &str = "kafka_dlt-exception-stacktrace";
pub const RETRY_ATTEMPTS: &str = "retry_topic-attempts";
pub const RETRY_BACKOFF_TIMESTAMP: &str = "retry_topic-backoff-timestamp";
pub const RETRY_ORIGINAL_TIMESTAMP: &str = "retry_topic-original-timestamp";

// Kafka Connect's `DeadLetterQueueReporter` context headers.
pub const CONNECT_ERRORS_PREFIX: &str = "__connect.errors.";

/// Spring wraps the listener's exception in this one.
const LISTENER_EXCEPTION: &str =
    "org.springframework.kafka.listener.ListenerExecutionFailedException";
const CAUSE_EXCEPTION: &str = "java.lang.RuntimeException";

/// Back-off between attempts in retry topics, in ticks (ms).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Backoff {
    /// `FixedBackOff`: the same delay every time; Spring then uses one retry topic
    /// (`SameIntervalTopicReuseStrategy.SINGLE_TOPIC`).
    Fixed {
        #[serde(default = "default_delay_ms")]
        delay_ms: u64,
    },
    /// `ExponentialBackOff`: `initial_ms * multiplier^n`, capped at `max_ms`; one retry topic
    /// per attempt, suffixed with its index (`-retry-0`, `-retry-1`, ...).
    Exponential {
        #[serde(default = "default_delay_ms")]
        initial_ms: u64,
        #[serde(default = "default_multiplier")]
        multiplier: u32,
        #[serde(default = "default_max_delay_ms")]
        max_ms: u64,
    },
}

fn default_delay_ms() -> u64 {
    1_000
}
fn default_multiplier() -> u32 {
    2
}
fn default_max_delay_ms() -> u64 {
    30_000
}
fn default_attempts() -> u32 {
    3
}
fn default_dlt_suffix() -> String {
    "-dlt".to_string()
}
fn default_dlq_replication_factor() -> u32 {
    3
}

impl Default for Backoff {
    /// Spring's default: `FixedBackOffPolicy` with 1000 ms.
    fn default() -> Self {
        Backoff::Fixed { delay_ms: 1_000 }
    }
}

/// Kafka Connect's `errors.tolerance`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tolerance {
    #[default]
    None,
    All,
}

/// How a group's application handles a record it fails to process.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ErrorPolicy {
    /// A plain consumer loop that logs the exception and moves on: the record is skipped.
    #[default]
    LogAndSkip,
    /// Spring Kafka's retry topics and dead letter topic.
    Spring {
        /// Attempts in all, the first included (`@RetryableTopic(attempts = "3")`).
        #[serde(default = "default_attempts")]
        attempts: u32,
        #[serde(default)]
        backoff: Backoff,
        /// `-dlt` (the retry topics' default) or `.DLT` (the older
        /// `DeadLetterPublishingRecoverer` default).
        #[serde(default = "default_dlt_suffix")]
        dlt_suffix: String,
    },
    /// Kafka Connect's sink error handling.
    Connect {
        #[serde(default)]
        tolerance: Tolerance,
        /// `errors.deadletterqueue.topic.name` (only with `errors.tolerance=all`).
        #[serde(default)]
        dlq_topic: Option<String>,
        /// `errors.deadletterqueue.context.headers.enable`, default false.
        #[serde(default)]
        context_headers: bool,
        /// `errors.deadletterqueue.topic.replication.factor`, default 3.
        #[serde(default = "default_dlq_replication_factor")]
        dlq_replication_factor: u32,
    },
}

impl ErrorPolicy {
    pub fn validate(&self) -> Result<(), BrokerError> {
        let invalid = |name: &str, value: String, reason: &str| {
            Err(BrokerError::InvalidConfig {
                name: name.into(),
                value,
                reason: reason.into(),
            })
        };
        match self {
            ErrorPolicy::LogAndSkip => Ok(()),
            ErrorPolicy::Spring {
                attempts,
                backoff,
                dlt_suffix,
            } => {
                if !(1..=10).contains(attempts) {
                    return invalid("attempts", attempts.to_string(), "must be between 1 and 10");
                }
                if dlt_suffix != "-dlt" && dlt_suffix != ".DLT" {
                    return invalid(
                        "dltTopicSuffix",
                        dlt_suffix.clone(),
                        "use \"-dlt\" or \".DLT\"",
                    );
                }
                match backoff {
                    Backoff::Fixed { delay_ms } if *delay_ms > 86_400_000 => {
                        invalid("backoff.delay", delay_ms.to_string(), "at most one day")
                    }
                    Backoff::Exponential {
                        initial_ms,
                        multiplier,
                        max_ms,
                    } if *initial_ms == 0
                        || *multiplier == 0
                        || *multiplier > 10
                        || *max_ms > 86_400_000
                        || max_ms < initial_ms =>
                    {
                        invalid(
                            "backoff",
                            format!("{initial_ms}/{multiplier}/{max_ms}"),
                            "needs 0 < initial <= max <= one day and a multiplier of 1 to 10",
                        )
                    }
                    _ => Ok(()),
                }
            }
            ErrorPolicy::Connect {
                tolerance,
                dlq_topic,
                dlq_replication_factor,
                ..
            } => {
                if let Some(topic) = dlq_topic {
                    super::topic::validate_topic_name(topic)?;
                    if *tolerance == Tolerance::None {
                        return invalid(
                            "errors.deadletterqueue.topic.name",
                            topic.clone(),
                            "a dead letter queue needs errors.tolerance=all",
                        );
                    }
                }
                if *dlq_replication_factor == 0 {
                    return invalid(
                        "errors.deadletterqueue.topic.replication.factor",
                        "0".into(),
                        "must be at least 1",
                    );
                }
                Ok(())
            }
        }
    }

    /// The retry topics Spring creates for `topic`, in the order a record visits them.
    ///
    /// ```
    /// use kafka_playground::broker::dead_letter::{Backoff, ErrorPolicy};
    /// let fixed = ErrorPolicy::Spring { attempts: 3, backoff: Backoff::Fixed { delay_ms: 1000 }, dlt_suffix: "-dlt".into() };
    /// assert_eq!(fixed.retry_topics("orders"), ["orders-retry"]);
    /// let exponential = ErrorPolicy::Spring {
    ///     attempts: 3,
    ///     backoff: Backoff::Exponential { initial_ms: 1000, multiplier: 2, max_ms: 30000 },
    ///     dlt_suffix: "-dlt".into(),
    /// };
    /// assert_eq!(exponential.retry_topics("orders"), ["orders-retry-0", "orders-retry-1"]);
    /// assert_eq!(fixed.dead_letter_topic("orders").as_deref(), Some("orders-dlt"));
    /// ```
    pub fn retry_topics(&self, topic: &str) -> Vec<String> {
        match self {
            ErrorPolicy::Spring {
                attempts, backoff, ..
            } if *attempts > 1 && !is_error_topic(topic) => match backoff {
                Backoff::Fixed { .. } => vec![format!("{topic}-retry")],
                Backoff::Exponential { .. } => (0..attempts - 1)
                    .map(|i| format!("{topic}-retry-{i}"))
                    .collect(),
            },
            _ => Vec::new(),
        }
    }

    pub fn dead_letter_topic(&self, topic: &str) -> Option<String> {
        match self {
            ErrorPolicy::LogAndSkip => None,
            ErrorPolicy::Spring { dlt_suffix, .. } => Some(format!("{topic}{dlt_suffix}")),
            ErrorPolicy::Connect { dlq_topic, .. } => dlq_topic.clone(),
        }
    }

    /// The back-off before retry number `retry` (0-based).
    pub fn delay_ms(&self, retry: u32) -> u64 {
        match self {
            ErrorPolicy::Spring {
                backoff: Backoff::Fixed { delay_ms },
                ..
            } => *delay_ms,
            ErrorPolicy::Spring {
                backoff:
                    Backoff::Exponential {
                        initial_ms,
                        multiplier,
                        max_ms,
                    },
                ..
            } => {
                let factor = u64::from(*multiplier).saturating_pow(retry);
                initial_ms.saturating_mul(factor).min(*max_ms)
            }
            _ => 0,
        }
    }
}

/// Topics the error handling created (their names end the way Spring names them).
pub fn is_error_topic(topic: &str) -> bool {
    topic.ends_with("-dlt") || topic.ends_with(".DLT") || is_retry_topic(topic)
}

/// A retry topic as Spring names them: `orders-retry` (one fixed back-off topic) or
/// `orders-retry-0`, `orders-retry-1`, … (one per attempt).
pub fn is_retry_topic(topic: &str) -> bool {
    let without_attempt = topic.trim_end_matches(|c: char| c.is_ascii_digit());
    topic.ends_with("-retry")
        || (without_attempt.len() < topic.len() && without_attempt.ends_with("-retry-"))
}

fn header<'a>(record: &'a Record, name: &str) -> Option<&'a str> {
    record
        .headers
        .iter()
        .rev()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// When a retry topic's record may be tried again.
pub fn backoff_due(record: &Record) -> Option<u64> {
    header(record, RETRY_BACKOFF_TIMESTAMP)?.parse().ok()
}

/// The record a copy stands for: the original's place, as its `kafka_dlt-original-*`
/// headers say (a poison record stays poison through its retries).
pub fn identity(tp: &TopicPartition, record: &Record) -> (TopicPartition, u64) {
    let original = (|| {
        let topic = header(record, DLT_ORIGINAL_TOPIC)?;
        let partition = header(record, DLT_ORIGINAL_PARTITION)?.parse().ok()?;
        let offset = header(record, DLT_ORIGINAL_OFFSET)?.parse().ok()?;
        Some((TopicPartition::new(topic, partition), offset))
    })();
    original.unwrap_or_else(|| (tp.clone(), record.offset))
}

/// The headers Spring's `DeadLetterPublishingRecoverer` writes on a forwarded record: the
/// original's place once (kept through retries), the exception of this attempt.
fn spring_headers(
    tp: &TopicPartition,
    record: &Record,
    group: &str,
    reason: &str,
) -> Vec<(String, String)> {
    let mut headers: Vec<(String, String)> = record
        .headers
        .iter()
        .filter(|(k, _)| !k.starts_with("kafka_dlt-exception") && !k.starts_with("retry_topic-"))
        .cloned()
        .collect();
    if header(record, DLT_ORIGINAL_TOPIC).is_none() {
        headers.extend([
            (DLT_ORIGINAL_TOPIC.to_string(), tp.topic.clone()),
            (DLT_ORIGINAL_PARTITION.to_string(), tp.partition.to_string()),
            (DLT_ORIGINAL_OFFSET.to_string(), record.offset.to_string()),
            (
                DLT_ORIGINAL_TIMESTAMP.to_string(),
                record.timestamp.to_string(),
            ),
            (
                DLT_ORIGINAL_TIMESTAMP_TYPE.to_string(),
                "CreateTime".to_string(),
            ),
            (DLT_ORIGINAL_CONSUMER_GROUP.to_string(), group.to_string()),
        ]);
    }
    let message = format!("Listener failed; {reason}");
    headers.extend([
        (
            DLT_EXCEPTION_FQCN.to_string(),
            LISTENER_EXCEPTION.to_string(),
        ),
        (
            DLT_EXCEPTION_CAUSE_FQCN.to_string(),
            CAUSE_EXCEPTION.to_string(),
        ),
        (DLT_EXCEPTION_MESSAGE.to_string(), message.clone()),
        (
            DLT_EXCEPTION_STACKTRACE.to_string(),
            format!("{LISTENER_EXCEPTION}: {message}\nCaused by: {CAUSE_EXCEPTION}: {reason}"),
        ),
    ]);
    headers
}

/// `DeadLetterQueueReporter`'s context headers.
fn connect_headers(
    tp: &TopicPartition,
    record: &Record,
    group: &str,
    consumer: u32,
    reason: &str,
) -> Vec<(String, String)> {
    let p = CONNECT_ERRORS_PREFIX;
    let connector = group.strip_prefix("connect-").unwrap_or(group);
    vec![
        (format!("{p}topic"), tp.topic.clone()),
        (format!("{p}partition"), tp.partition.to_string()),
        (format!("{p}offset"), record.offset.to_string()),
        (format!("{p}connector.name"), connector.to_string()),
        (
            format!("{p}task.id"),
            consumer.saturating_sub(1).to_string(),
        ),
        (format!("{p}stage"), "TASK_PUT".to_string()),
        (
            format!("{p}class.name"),
            "org.apache.kafka.connect.sink.SinkTask".to_string(),
        ),
        (
            format!("{p}exception.class.name"),
            "org.apache.kafka.connect.errors.ConnectException".to_string(),
        ),
        (format!("{p}exception.message"), reason.to_string()),
        (
            format!("{p}exception.stacktrace"),
            format!("org.apache.kafka.connect.errors.ConnectException: {reason}"),
        ),
    ]
}

/// Headers a redrive removes: the failure's context, not the record's own.
fn is_error_header(name: &str) -> bool {
    name.starts_with("kafka_dlt-")
        || name.starts_with("retry_topic-")
        || name.starts_with(CONNECT_ERRORS_PREFIX)
}

impl Cluster {
    pub(crate) fn set_error_handling(
        &mut self,
        group: String,
        policy: ErrorPolicy,
    ) -> Result<(), BrokerError> {
        if group.is_empty() || group.chars().count() > 249 {
            return Err(BrokerError::InvalidGroupId { group });
        }
        policy.validate()?;
        let text = match &policy {
            ErrorPolicy::LogAndSkip => format!("group {group} logs failed records and skips them"),
            ErrorPolicy::Spring { attempts, .. } => format!(
                "group {group} handles failures as Spring Kafka's retry topics do: {attempts} attempts in all, then the dead letter topic"
            ),
            ErrorPolicy::Connect { tolerance: Tolerance::None, .. } => {
                format!("group {group} handles failures as Kafka Connect with errors.tolerance=none: the task stops")
            }
            ErrorPolicy::Connect { dlq_topic, .. } => format!(
                "group {group} handles failures as Kafka Connect with errors.tolerance=all{}",
                dlq_topic.as_ref().map(|t| format!(", dead letter queue {t}")).unwrap_or_default()
            ),
        };
        self.emit(
            EventKind::ErrorHandlingSet {
                group: group.clone(),
            },
            text,
        );
        self.error_policies.insert(group.clone(), policy);
        self.ensure_error_topics_for(&group);
        // Members now consume the retry topics too, so they join again.
        let members: Vec<u32> = self
            .consumers
            .values()
            .filter(|c| {
                c.alive
                    && c.config.group_id.as_deref() == Some(group.as_str())
                    && !c.subscription.is_empty()
            })
            .map(|c| c.id)
            .collect();
        for consumer in members {
            self.consumer_rejoin(consumer, "its group's error handling changed its topics");
        }
        Ok(())
    }

    /// Creates the retry and dead letter topics of a group's subscriptions, as Spring's
    /// `autoCreateTopics` and Connect's reporter do: the original's partition count for
    /// Spring, one partition for Connect; replication capped at the live brokers.
    pub(crate) fn ensure_error_topics_for(&mut self, group: &str) {
        let Some(policy) = self.error_policies.get(group).cloned() else {
            return;
        };
        let subscribed = sorted_unique(
            self.consumers
                .values()
                .filter(|c| c.config.group_id.as_deref() == Some(group))
                .flat_map(|c| c.subscription.iter().cloned()),
        );
        let live = self
            .brokers
            .values()
            .filter(|b| b.alive && !b.fenced)
            .count() as u32;
        let mut wanted: SortedMap<String, (u32, u32)> = SortedMap::new();
        for topic in subscribed {
            let Some(original) = self.topics.get(&topic) else {
                continue;
            };
            let partitions = original.partitions.len() as u32;
            let rf = original
                .partitions
                .first()
                .map_or(1, |p| p.replicas.len() as u32);
            match &policy {
                ErrorPolicy::Spring { .. } => {
                    for name in policy
                        .retry_topics(&topic)
                        .into_iter()
                        .chain(policy.dead_letter_topic(&topic))
                    {
                        wanted.insert(name, (partitions, rf.min(live).max(1)));
                    }
                }
                ErrorPolicy::Connect {
                    dlq_topic: Some(name),
                    dlq_replication_factor,
                    ..
                } => {
                    wanted.insert(
                        name.clone(),
                        (1, (*dlq_replication_factor).min(live).max(1)),
                    );
                }
                _ => {}
            }
        }
        for (name, (partitions, rf)) in wanted {
            if self.topics.contains_key(&name) {
                continue;
            }
            if let Err(error) = self.create_topic(name.clone(), partitions, rf, &SortedMap::new()) {
                self.emit(
                    EventKind::ErrorTopicFailed {
                        topic: name.clone(),
                        error: error.kafka_name().into(),
                    },
                    format!("the error handling cannot create {name}: {error}"),
                );
            }
        }
    }

    /// The consumer failed to process `record`. Returns whether it moves on (true) or stops
    /// (Connect with `errors.tolerance=none`).
    pub(crate) fn handle_processing_failure(
        &mut self,
        consumer: u32,
        tp: &TopicPartition,
        record: &Record,
        reason: &str,
    ) -> bool {
        let group = self.consumers[&consumer]
            .config
            .group_id
            .clone()
            .unwrap_or_default();
        let policy = self.error_policies.get(&group).cloned().unwrap_or_default();
        match &policy {
            ErrorPolicy::LogAndSkip => {
                self.emit(
                    EventKind::FailureHandled { consumer, partition: tp.clone(), offset: record.offset, action: "skipped".into() },
                    format!("consumer {consumer} logs the exception and skips {tp} offset {}: the record is not processed", record.offset),
                );
                true
            }
            ErrorPolicy::Spring { attempts, .. } => {
                let done: u32 = header(record, RETRY_ATTEMPTS)
                    .and_then(|a| a.parse().ok())
                    .unwrap_or(1);
                let original_topic = header(record, DLT_ORIGINAL_TOPIC)
                    .unwrap_or(&tp.topic)
                    .to_string();
                let mut headers = spring_headers(tp, record, &group, reason);
                let (destination, action) = if done < *attempts {
                    let retries = policy.retry_topics(&original_topic);
                    let index = (done as usize - 1).min(retries.len().saturating_sub(1));
                    let delay = policy.delay_ms(done - 1);
                    let due = self.tick + delay;
                    headers.extend([
                        (RETRY_ATTEMPTS.to_string(), (done + 1).to_string()),
                        (RETRY_BACKOFF_TIMESTAMP.to_string(), due.to_string()),
                        (
                            RETRY_ORIGINAL_TIMESTAMP.to_string(),
                            header(record, RETRY_ORIGINAL_TIMESTAMP)
                                .map_or(record.timestamp.to_string(), str::to_string),
                        ),
                    ]);
                    let Some(topic) = retries.get(index).cloned() else {
                        return true;
                    };
                    (topic.clone(), format!("attempt {done} of {attempts} failed: it goes to retry topic {topic}, due again at t={due} ({delay} ms back-off)"))
                } else {
                    let topic = policy
                        .dead_letter_topic(&original_topic)
                        .expect("spring has a DLT");
                    (topic.clone(), format!("attempt {done} of {attempts} failed: it goes to the dead letter topic {topic}"))
                };
                self.publish_failed_record(
                    consumer,
                    tp,
                    record,
                    &destination,
                    headers,
                    true,
                    &action,
                );
                true
            }
            ErrorPolicy::Connect {
                tolerance: Tolerance::None,
                ..
            } => {
                let reason =
                    format!("ConnectException: Tolerance exceeded in error handler ({reason})");
                self.emit(
                    EventKind::FailureHandled { consumer, partition: tp.clone(), offset: record.offset, action: "task failed".into() },
                    format!("consumer {consumer}'s task fails at {tp} offset {} (errors.tolerance=none) and stops until it is restarted", record.offset),
                );
                let c = self.consumers.get_mut(&consumer).expect("alive");
                c.task_failed = Some(reason);
                c.buffer.clear();
                false
            }
            ErrorPolicy::Connect {
                dlq_topic: None, ..
            } => {
                self.emit(
                    EventKind::FailureHandled { consumer, partition: tp.clone(), offset: record.offset, action: "skipped".into() },
                    format!("consumer {consumer} skips {tp} offset {} (errors.tolerance=all, no dead letter queue)", record.offset),
                );
                true
            }
            ErrorPolicy::Connect {
                dlq_topic: Some(dlq),
                context_headers,
                ..
            } => {
                let mut headers = record.headers.clone();
                if *context_headers {
                    headers.extend(connect_headers(tp, record, &group, consumer, reason));
                }
                let action =
                    format!("errors.tolerance=all: it goes to the dead letter queue {dlq}");
                self.publish_failed_record(consumer, tp, record, dlq, headers, false, &action);
                true
            }
        }
    }

    /// Publishes a failed record through the consumer's own producer (Spring's
    /// `KafkaTemplate`, Connect's DLQ producer).
    #[allow(clippy::too_many_arguments)]
    fn publish_failed_record(
        &mut self,
        consumer: u32,
        tp: &TopicPartition,
        record: &Record,
        destination: &str,
        headers: Vec<(String, String)>,
        same_partition: bool,
        action: &str,
    ) {
        self.emit(
            EventKind::FailureHandled {
                consumer,
                partition: tp.clone(),
                offset: record.offset,
                action: format!("forwarded to {destination}"),
            },
            format!(
                "consumer {consumer}: {tp} offset {} — {action}",
                record.offset
            ),
        );
        let publisher = match self.consumers[&consumer].publisher {
            Some(p) => p,
            None => match self.add_producer(ProducerConfig::default()) {
                Ok(id) => {
                    self.consumers.get_mut(&consumer).expect("alive").publisher = Some(id);
                    id
                }
                Err(error) => {
                    self.emit(
                        EventKind::ErrorTopicFailed {
                            topic: destination.to_string(),
                            error: error.kafka_name().into(),
                        },
                        format!("consumer {consumer} cannot publish to {destination}: {error}"),
                    );
                    return;
                }
            },
        };
        if !self.topics.contains_key(destination) {
            let group = self.consumers[&consumer]
                .config
                .group_id
                .clone()
                .unwrap_or_default();
            self.ensure_error_topics_for(&group);
        }
        // The same partition as the original when the destination has it (Spring's default
        // destination resolver); otherwise the partitioner chooses.
        let partition = self
            .topics
            .get(destination)
            .filter(|t| same_partition && (tp.partition as usize) < t.partitions.len())
            .map(|_| tp.partition);
        if let Err(error) = self.produce(
            publisher,
            destination.to_string(),
            record.key.clone(),
            record.value.clone(),
            headers,
            partition,
            1,
        ) {
            self.emit(
                EventKind::ErrorTopicFailed {
                    topic: destination.to_string(),
                    error: error.kafka_name().into(),
                },
                format!("consumer {consumer} cannot publish to {destination}: {error}"),
            );
        }
    }

    /// Re-publishes the records of a dead letter topic that were not redriven yet to the
    /// topics (and partitions) they came from, without the failure headers.
    pub(crate) fn redrive(&mut self, topic: String) -> Result<(), BrokerError> {
        let Some(dlt) = self.topics.get(&topic) else {
            return Err(BrokerError::UnknownTopicOrPartition {
                topic,
                partition: None,
            });
        };
        let partitions = dlt.partitions.len() as u32;
        let mut batch: Vec<(TopicPartition, u64, Record, String, Option<u32>)> = Vec::new();
        for p in 0..partitions {
            let tp = TopicPartition::new(topic.clone(), p);
            let Some(leader) = self.partition_metadata(&tp).and_then(|m| m.leader) else {
                continue;
            };
            let Some(replica) = self.replica(leader, &tp) else {
                continue;
            };
            let from = self
                .redriven
                .get(&tp)
                .copied()
                .unwrap_or(0)
                .max(replica.log.log_start_offset());
            let ReadOutcome::Records(records) =
                replica.log.read(from, 100_000, replica.high_watermark)
            else {
                continue;
            };
            for record in records {
                let destination = header(&record, DLT_ORIGINAL_TOPIC)
                    .or_else(|| header(&record, &format!("{CONNECT_ERRORS_PREFIX}topic")))
                    .map(str::to_string);
                let Some(destination) = destination.filter(|d| self.topics.contains_key(d)) else {
                    return Err(BrokerError::PolicyViolation {
                        reason: format!(
                            "{tp} offset {} does not say which existing topic it came from ({DLT_ORIGINAL_TOPIC} or __connect.errors.topic)",
                            record.offset
                        ),
                    });
                };
                let original_partition = header(&record, DLT_ORIGINAL_PARTITION)
                    .or_else(|| header(&record, &format!("{CONNECT_ERRORS_PREFIX}partition")))
                    .and_then(|p| p.parse::<u32>().ok())
                    .filter(|&p| (p as usize) < self.topics[&destination].partitions.len());
                let offset = record.offset;
                batch.push((tp.clone(), offset, record, destination, original_partition));
            }
        }
        if batch.is_empty() {
            return Err(BrokerError::PolicyViolation {
                reason: format!("{topic} has no committed records that were not redriven yet"),
            });
        }
        if self.redrive_producer.is_none() && self.producers.len() >= super::cluster::MAX_PRODUCERS
        {
            return Err(BrokerError::PolicyViolation {
                reason: "redrive needs a producer and the playground's producer limit is reached"
                    .into(),
            });
        }
        let producer = match self.redrive_producer {
            Some(p) => p,
            None => {
                let id = self.add_producer(ProducerConfig::default())?;
                self.redrive_producer = Some(id);
                id
            }
        };
        let count = batch.len() as u32;
        self.emit(
            EventKind::RecordsRedriven { topic: topic.clone(), count },
            format!("redrive: {count} record{} of {topic} go back to where they came from, without the failure headers", if count == 1 { "" } else { "s" }),
        );
        for (tp, offset, record, destination, partition) in batch {
            let headers: Vec<(String, String)> = record
                .headers
                .iter()
                .filter(|(k, _)| !is_error_header(k))
                .cloned()
                .collect();
            // Checked above: the destination exists and the partition is in range.
            let _ = self.produce(
                producer,
                destination,
                record.key,
                record.value,
                headers,
                partition,
                1,
            );
            self.redriven.insert(tp, offset + 1);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broker::Cluster;

    fn record(headers: &[(&str, &str)]) -> Record {
        Record {
            offset: 7,
            timestamp: 40,
            key: Some("k".into()),
            value: Some("v".into()),
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            producer_id: None,
            producer_epoch: 0,
            sequence: -1,
            leader_epoch: 0,
        }
    }

    #[test]
    fn spring_headers_keep_the_first_original_and_replace_the_exception() {
        let tp = TopicPartition::new("orders", 2);
        let first = record(&[("trace", "abc")]);
        let headers = spring_headers(&tp, &first, "billing", "boom");
        let get = |name: &str| {
            headers
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get(DLT_ORIGINAL_TOPIC), Some("orders"));
        assert_eq!(get(DLT_ORIGINAL_PARTITION), Some("2"));
        assert_eq!(get(DLT_ORIGINAL_OFFSET), Some("7"));
        assert_eq!(get(DLT_ORIGINAL_CONSUMER_GROUP), Some("billing"));
        assert_eq!(get("trace"), Some("abc"), "the record's own headers stay");
        // Forwarded again from the retry topic: the original place stays, one exception.
        let mut copy = record(&[]);
        copy.headers = headers.clone();
        copy.offset = 0;
        let again = spring_headers(
            &TopicPartition::new("orders-retry", 2),
            &copy,
            "billing",
            "boom again",
        );
        assert_eq!(
            again
                .iter()
                .filter(|(k, _)| k == DLT_ORIGINAL_OFFSET)
                .count(),
            1
        );
        assert_eq!(
            again
                .iter()
                .filter(|(k, _)| k == DLT_EXCEPTION_MESSAGE)
                .count(),
            1
        );
        assert_eq!(
            identity(&TopicPartition::new("orders-retry", 2), &copy),
            (tp, 7)
        );
    }

    fn group_with_failing_record(policy: ErrorPolicy) -> (Cluster, Vec<crate::broker::Event>) {
        use crate::broker::consumer::{AutoOffsetReset, ConsumerConfig};
        use crate::broker::{ClusterConfig, Command};
        let config = ClusterConfig {
            offsets_topic_num_partitions: 1,
            ..ClusterConfig::default()
        };
        let mut cluster = Cluster::new(config, 3);
        let commands = vec![
            Command::CreateTopic {
                name: "t".into(),
                partitions: 2,
                replication_factor: 3,
                configs: Default::default(),
            },
            Command::AddProducer {
                config: Default::default(),
            },
            Command::Produce {
                producer: 1,
                topic: "t".into(),
                key: Some("k".into()),
                value: Some("boom".into()),
                headers: vec![],
                partition: Some(1),
                count: 1,
            },
            Command::Produce {
                producer: 1,
                topic: "t".into(),
                key: Some("k".into()),
                value: Some("fine".into()),
                headers: vec![],
                partition: Some(1),
                count: 1,
            },
            Command::AddConsumer {
                config: ConsumerConfig {
                    group_id: Some("g".into()),
                    auto_offset_reset: AutoOffsetReset::Earliest,
                    ..ConsumerConfig::default()
                },
            },
            Command::SetFailureRule {
                consumer: 1,
                rule: Some(crate::broker::consumer::FailureRule::ValueContains(
                    "boom".into(),
                )),
            },
            Command::SetErrorHandling {
                group: "g".into(),
                policy,
            },
            Command::Subscribe {
                consumer: 1,
                topics: vec!["t".into()],
            },
        ];
        for command in commands {
            cluster.apply(command).unwrap();
        }
        cluster.run_until_idle();
        let mut events = cluster
            .apply(crate::broker::Command::Poll { consumer: 1 })
            .unwrap();
        events.extend(cluster.run_until_idle());
        (cluster, events)
    }

    #[test]
    fn connect_with_tolerance_none_stops_the_task_at_the_failure() {
        let policy = ErrorPolicy::Connect {
            tolerance: Tolerance::None,
            dlq_topic: None,
            context_headers: false,
            dlq_replication_factor: 3,
        };
        let (mut cluster, events) = group_with_failing_record(policy);
        let processed = events
            .iter()
            .filter(|e| matches!(e.kind, EventKind::RecordProcessed { .. }))
            .count();
        assert_eq!(
            processed, 1,
            "the record after the failure is not processed"
        );
        assert!(cluster.consumers()[&1].task_failed.is_some());
        assert!(matches!(
            cluster.apply(crate::broker::Command::Poll { consumer: 1 }),
            Err(BrokerError::IllegalState { .. })
        ));
        assert_eq!(cluster.view().consumers[0].status, "failed");
    }

    #[test]
    fn the_older_dlt_suffix_and_a_single_attempt_go_straight_to_the_dead_letter_topic() {
        let policy = ErrorPolicy::Spring {
            attempts: 1,
            backoff: Backoff::default(),
            dlt_suffix: ".DLT".into(),
        };
        let (cluster, _) = group_with_failing_record(policy);
        assert!(!cluster.topics().contains_key("t-retry"));
        let dlt = TopicPartition::new("t.DLT", 1);
        let leader = cluster.topics()["t.DLT"].partitions[1].leader.unwrap();
        let records = cluster.records(leader, &dlt, 0, 10);
        assert_eq!(records.len(), 1, "same partition as the original");
        assert_eq!(records[0].value.as_deref(), Some("boom"));
    }

    #[test]
    fn exponential_backoff_grows_and_is_capped() {
        let policy = ErrorPolicy::Spring {
            attempts: 5,
            backoff: Backoff::Exponential {
                initial_ms: 1000,
                multiplier: 3,
                max_ms: 5000,
            },
            dlt_suffix: ".DLT".into(),
        };
        assert_eq!(
            (0..4).map(|r| policy.delay_ms(r)).collect::<Vec<_>>(),
            [1000, 3000, 5000, 5000]
        );
        assert_eq!(policy.dead_letter_topic("t").as_deref(), Some("t.DLT"));
        assert!(
            is_error_topic("t-retry-3") && is_error_topic("t.DLT") && !is_error_topic("t-retry-x")
        );
        assert!(is_retry_topic("t-retry") && is_retry_topic("my-retry-topic-retry-12"));
        assert!(
            !is_retry_topic("t-retry-")
                && !is_retry_topic("t-retry-1x")
                && !is_retry_topic("retry-1")
        );
        assert!(
            policy.retry_topics("t-dlt").is_empty(),
            "error topics get no retry topics of their own"
        );
    }

    #[test]
    fn policies_are_checked() {
        let bad = ErrorPolicy::Connect {
            tolerance: Tolerance::None,
            dlq_topic: Some("dlq".into()),
            context_headers: false,
            dlq_replication_factor: 3,
        };
        assert!(matches!(
            bad.validate(),
            Err(BrokerError::InvalidConfig { .. })
        ));
        let bad = ErrorPolicy::Spring {
            attempts: 0,
            backoff: Backoff::default(),
            dlt_suffix: "-dlt".into(),
        };
        assert!(bad.validate().is_err());
    }
}
