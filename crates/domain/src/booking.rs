//! The booking state machine: its statuses, who may change them, and which statuses occupy
//! capacity. Every workflow asks [`transition`] before it writes; nothing else decides.

use std::sync::LazyLock;

use serde::Serialize;

use crate::UserId;

/// Lifecycle of a booking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pending,
    Confirmed,
    Cancelled,
    Completed,
    NoShow,
}

/// A stored status that is not one of ours: the row is corrupt, and reading it must fail.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown booking status `{0}`")]
pub struct UnknownStatus(pub String);

impl Status {
    pub const ALL: [Status; 5] =
        [Self::Pending, Self::Confirmed, Self::Cancelled, Self::Completed, Self::NoShow];

    /// The statuses that hold a place. The SQL filters ([`occupying_sql`]) and the engine's
    /// inputs are derived from this one list.
    pub const OCCUPYING: [Status; 2] = [Self::Pending, Self::Confirmed];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Confirmed => "confirmed",
            Self::Cancelled => "cancelled",
            Self::Completed => "completed",
            Self::NoShow => "no_show",
        }
    }

    pub fn parse(value: &str) -> Result<Self, UnknownStatus> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == value)
            .ok_or_else(|| UnknownStatus(value.to_owned()))
    }

    /// Whether the booking still occupies its place.
    pub fn occupies(self) -> bool {
        Self::OCCUPYING.contains(&self)
    }

    /// In words, for people.
    pub fn label(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Confirmed => "confirmed",
            Self::Cancelled => "cancelled",
            Self::Completed => "completed",
            Self::NoShow => "no-show",
        }
    }
}

impl TryFrom<String> for Status {
    type Error = UnknownStatus;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `('pending', 'confirmed')`: [`Status::OCCUPYING`] as an SQL list, for `status in …`.
pub fn occupying_sql() -> &'static str {
    static SQL: LazyLock<String> = LazyLock::new(|| {
        let names: Vec<String> =
            Status::OCCUPYING.iter().map(|s| format!("'{}'", s.as_str())).collect();
        format!("({})", names.join(", "))
    });
    &SQL
}

/// Who makes a change, for policy and for the history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Actor {
    /// A client in the portal.
    Client(UserId),
    /// A guest through the public page or the emailed manage link.
    Guest,
    Owner(UserId),
    Staff(UserId),
    /// The provider API (a bearer token of the tenant).
    Api,
    /// Portico itself: recurring series, expiry.
    System,
}

impl Actor {
    /// The kind as stored in `booking_events.actor_kind`, and the login behind it.
    pub fn parts(self) -> (&'static str, Option<UserId>) {
        match self {
            Self::Client(u) => ("client", Some(u)),
            Self::Guest => ("guest", None),
            Self::Owner(u) => ("owner", Some(u)),
            Self::Staff(u) => ("staff", Some(u)),
            Self::Api => ("api", None),
            Self::System => ("system", None),
        }
    }

    /// The business (owner, staff, API) or Portico itself: not bound by notice, advance and
    /// cut-off rules.
    pub fn is_provider(self) -> bool {
        matches!(self, Self::Owner(_) | Self::Staff(_) | Self::Api | Self::System)
    }

    /// The person the booking is for (a client or guest).
    pub fn is_party(self) -> bool {
        matches!(self, Self::Client(_) | Self::Guest)
    }
}

/// A change asked of an existing booking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Cancel,
    Reschedule,
    Complete,
    NoShow,
}

impl Action {
    pub const ALL: [Action; 4] = [Self::Cancel, Self::Reschedule, Self::Complete, Self::NoShow];

    /// The history's name for it (`booking_events.action`).
    pub fn event(self) -> &'static str {
        match self {
            Self::Cancel => "cancelled",
            Self::Reschedule => "rescheduled",
            Self::Complete => "completed",
            Self::NoShow => "no_show",
        }
    }
}

/// Why the state machine refuses a change, in words for the person asking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("This booking can no longer be changed. It is {}.", .0.label())]
    Final(Status),
    #[error("A booking can be marked completed or no-show once it has started.")]
    NotStarted,
    #[error("This booking has already started; it cannot be moved.")]
    Started,
    #[error("Only the business can mark a booking completed or a no-show.")]
    ProvidersOnly,
}

/// The transition table. `started` is whether the booking's start is at or before now.
/// Returns the status after the change (a reschedule keeps it).
///
/// | from               | action     | who              | when          | to          |
/// |--------------------|------------|------------------|---------------|-------------|
/// | pending, confirmed | cancel     | anyone           | any time (*)  | cancelled   |
/// | pending, confirmed | reschedule | anyone           | before start  | (unchanged) |
/// | pending, confirmed | complete   | owner, staff, api| after start   | completed   |
/// | pending, confirmed | no-show    | owner, staff, api| after start   | no_show     |
///
/// (*) clients and guests are further bound by the tenant's cut-off ([`crate::policy`]).
/// Cancelled, completed and no-show are final.
pub fn transition(
    from: Status,
    action: Action,
    actor: Actor,
    started: bool,
) -> Result<Status, Refusal> {
    if !from.occupies() {
        return Err(Refusal::Final(from));
    }
    match action {
        Action::Cancel => Ok(Status::Cancelled),
        Action::Reschedule if started => Err(Refusal::Started),
        Action::Reschedule => Ok(from),
        Action::Complete | Action::NoShow => {
            if !matches!(actor, Actor::Owner(_) | Actor::Staff(_) | Actor::Api) {
                Err(Refusal::ProvidersOnly)
            } else if !started {
                Err(Refusal::NotStarted)
            } else if action == Action::Complete {
                Ok(Status::Completed)
            } else {
                Ok(Status::NoShow)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACTORS: [Actor; 6] = [
        Actor::Client(UserId::from_store(1)),
        Actor::Guest,
        Actor::Owner(UserId::from_store(2)),
        Actor::Staff(UserId::from_store(3)),
        Actor::Api,
        Actor::System,
    ];

    #[test]
    fn statuses_round_trip_and_unknown_ones_are_refused() {
        for status in Status::ALL {
            assert_eq!(Status::parse(status.as_str()), Ok(status));
        }
        assert_eq!(Status::parse("Confirmed"), Err(UnknownStatus("Confirmed".into())));
        assert_eq!(Status::parse(""), Err(UnknownStatus(String::new())));
    }

    #[test]
    fn the_sql_list_is_the_occupying_statuses() {
        assert_eq!(occupying_sql(), "('pending', 'confirmed')");
        for status in Status::ALL {
            assert_eq!(status.occupies(), occupying_sql().contains(&format!("'{status}'")));
        }
    }

    #[test]
    fn final_statuses_refuse_everything() {
        for from in [Status::Cancelled, Status::Completed, Status::NoShow] {
            for action in Action::ALL {
                for actor in ACTORS {
                    for started in [false, true] {
                        assert_eq!(
                            transition(from, action, actor, started),
                            Err(Refusal::Final(from))
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn open_bookings_follow_the_table() {
        for from in Status::OCCUPYING {
            for actor in ACTORS {
                for started in [false, true] {
                    let provider = matches!(actor, Actor::Owner(_) | Actor::Staff(_) | Actor::Api);
                    assert_eq!(
                        transition(from, Action::Cancel, actor, started),
                        Ok(Status::Cancelled)
                    );
                    let moved = transition(from, Action::Reschedule, actor, started);
                    assert_eq!(moved, if started { Err(Refusal::Started) } else { Ok(from) });
                    for (action, to) in
                        [(Action::Complete, Status::Completed), (Action::NoShow, Status::NoShow)]
                    {
                        let expected = match (provider, started) {
                            (false, _) => Err(Refusal::ProvidersOnly),
                            (true, false) => Err(Refusal::NotStarted),
                            (true, true) => Ok(to),
                        };
                        assert_eq!(transition(from, action, actor, started), expected);
                    }
                }
            }
        }
    }
}
