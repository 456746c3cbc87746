//! Queue rows (migration 000019): services, counters, kiosk devices, tickets, their daily
//! number counters, and the events the display board streams. The two backend-specific
//! pieces live here: the number upsert and the `call next` claim with its row lock.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Text};

use crate::db::schema::{
    queue_counters, queue_devices, queue_events, queue_services, queue_tickets,
};
use crate::db::DbConn;

#[derive(Queryable, Selectable, Insertable, Clone, Debug)]
#[diesel(table_name = queue_services)]
pub struct ServiceRow {
    pub commune_code: String,
    pub prefix: String,
    pub name: String,
    /// JSON list of procedure fields.
    pub fields: String,
    pub updated_at: NaiveDateTime,
}

impl ServiceRow {
    pub fn of_commune(conn: &mut DbConn, commune: &str) -> QueryResult<Vec<ServiceRow>> {
        queue_services::table
            .filter(queue_services::commune_code.eq(commune))
            .order(queue_services::prefix)
            .select(ServiceRow::as_select())
            .load(conn)
    }

    /// Inserts or replaces the service of this prefix.
    pub fn upsert(&self, conn: &mut DbConn) -> QueryResult<()> {
        let n = diesel::update(queue_services::table.find((&self.commune_code, &self.prefix)))
            .set((
                queue_services::name.eq(&self.name),
                queue_services::fields.eq(&self.fields),
                queue_services::updated_at.eq(self.updated_at),
            ))
            .execute(conn)?;
        if n == 0 {
            diesel::insert_into(queue_services::table)
                .values(self.clone())
                .execute(conn)?;
        }
        Ok(())
    }
}

#[derive(Queryable, Selectable, Insertable, AsChangeset, Clone, Debug)]
#[diesel(table_name = queue_counters, treat_none_as_null = true)]
pub struct CounterRow {
    pub id: String,
    pub commune_code: String,
    pub number: i32,
    pub name: String,
    /// JSON list of service prefixes.
    pub services: String,
    pub is_open: bool,
    pub officer_id: Option<String>,
    pub priority_streak: i32,
    pub opened_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl CounterRow {
    pub fn find(conn: &mut DbConn, id: &str) -> QueryResult<Option<CounterRow>> {
        queue_counters::table
            .find(id)
            .select(CounterRow::as_select())
            .first(conn)
            .optional()
    }

    /// The counter, its row locked until commit (PostgreSQL; SQLite's IMMEDIATE transaction
    /// holds the whole database): opening and calling on one counter happen one at a time.
    pub fn find_locked(conn: &mut DbConn, id: &str) -> QueryResult<Option<CounterRow>> {
        macro_rules! q {
            () => {
                queue_counters::table
                    .find(id)
                    .select(CounterRow::as_select())
            };
        }
        match conn {
            DbConn::Pg(c) => q!().for_update().first(c).optional(),
            DbConn::Sqlite(c) => q!().first(c).optional(),
        }
    }

    pub fn of_commune(conn: &mut DbConn, commune: &str) -> QueryResult<Vec<CounterRow>> {
        queue_counters::table
            .filter(queue_counters::commune_code.eq(commune))
            .order(queue_counters::number)
            .select(CounterRow::as_select())
            .load(conn)
    }

    pub fn number_taken(conn: &mut DbConn, commune: &str, number: i32) -> QueryResult<bool> {
        diesel::select(diesel::dsl::exists(
            queue_counters::table
                .filter(queue_counters::commune_code.eq(commune))
                .filter(queue_counters::number.eq(number)),
        ))
        .get_result(conn)
    }

    /// The counter an officer holds open, if any.
    pub fn held_by(conn: &mut DbConn, officer: &str) -> QueryResult<Option<CounterRow>> {
        queue_counters::table
            .filter(queue_counters::officer_id.eq(officer))
            .filter(queue_counters::is_open.eq(true))
            .select(CounterRow::as_select())
            .first(conn)
            .optional()
    }

    pub fn insert(&self, conn: &mut DbConn) -> QueryResult<()> {
        diesel::insert_into(queue_counters::table)
            .values(self.clone())
            .execute(conn)
            .map(|_| ())
    }

    pub fn save(&self, conn: &mut DbConn) -> QueryResult<()> {
        diesel::update(queue_counters::table.find(&self.id))
            .set(self.clone())
            .execute(conn)
            .map(|_| ())
    }
}

#[derive(Queryable, Selectable, Insertable, Clone, Debug)]
#[diesel(table_name = queue_devices)]
pub struct DeviceRow {
    pub id: String,
    pub commune_code: String,
    pub name: String,
    pub key_hash: String,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
}

impl DeviceRow {
    pub fn insert(&self, conn: &mut DbConn) -> QueryResult<()> {
        diesel::insert_into(queue_devices::table)
            .values(self.clone())
            .execute(conn)
            .map(|_| ())
    }

    /// The active device with this key hash.
    pub fn by_key_hash(conn: &mut DbConn, hash: &str) -> QueryResult<Option<DeviceRow>> {
        queue_devices::table
            .filter(queue_devices::key_hash.eq(hash))
            .filter(queue_devices::revoked_at.is_null())
            .select(DeviceRow::as_select())
            .first(conn)
            .optional()
    }

    pub fn of_commune(conn: &mut DbConn, commune: &str) -> QueryResult<Vec<DeviceRow>> {
        queue_devices::table
            .filter(queue_devices::commune_code.eq(commune))
            .order(queue_devices::created_at)
            .select(DeviceRow::as_select())
            .load(conn)
    }

    pub fn revoke(conn: &mut DbConn, id: &str, at: NaiveDateTime) -> QueryResult<bool> {
        diesel::update(
            queue_devices::table
                .find(id)
                .filter(queue_devices::revoked_at.is_null()),
        )
        .set(queue_devices::revoked_at.eq(at))
        .execute(conn)
        .map(|n| n == 1)
    }

    pub fn find(conn: &mut DbConn, id: &str) -> QueryResult<Option<DeviceRow>> {
        queue_devices::table
            .find(id)
            .select(DeviceRow::as_select())
            .first(conn)
            .optional()
    }
}

#[derive(Queryable, Selectable, Insertable, AsChangeset, Clone, Debug)]
#[diesel(table_name = queue_tickets, treat_none_as_null = true)]
pub struct TicketRow {
    pub id: String,
    pub commune_code: String,
    pub day: NaiveDate,
    pub service: String,
    pub seq: i64,
    pub number: String,
    pub source: String,
    pub device_id: Option<String>,
    pub citizen_id: Option<String>,
    pub priority_class: Option<String>,
    pub priority_confirmed: Option<bool>,
    pub status: String,
    pub counter_id: Option<String>,
    pub target_counter_id: Option<String>,
    pub recalls: i32,
    pub dossier_id: Option<String>,
    pub issued_at: NaiveDateTime,
    pub called_at: Option<NaiveDateTime>,
    pub started_at: Option<NaiveDateTime>,
    pub finished_at: Option<NaiveDateTime>,
    pub updated_at: NaiveDateTime,
}

#[derive(QueryableByName)]
struct Seq {
    #[diesel(sql_type = BigInt)]
    last_seq: i64,
}

impl TicketRow {
    pub fn find(conn: &mut DbConn, id: &str) -> QueryResult<Option<TicketRow>> {
        queue_tickets::table
            .find(id)
            .select(TicketRow::as_select())
            .first(conn)
            .optional()
    }

    pub fn insert(&self, conn: &mut DbConn) -> QueryResult<()> {
        diesel::insert_into(queue_tickets::table)
            .values(self.clone())
            .execute(conn)
            .map(|_| ())
    }

    /// Writes the ticket if its status is still `expected` (a concurrent change loses).
    pub fn save_if(&self, conn: &mut DbConn, expected: &str) -> QueryResult<bool> {
        diesel::update(
            queue_tickets::table
                .find(&self.id)
                .filter(queue_tickets::status.eq(expected)),
        )
        .set(self.clone())
        .execute(conn)
        .map(|n| n == 1)
    }

    /// The ticket a counter has called or is serving, if any.
    pub fn active_at(conn: &mut DbConn, counter: &str) -> QueryResult<Option<TicketRow>> {
        queue_tickets::table
            .filter(queue_tickets::counter_id.eq(counter))
            .filter(queue_tickets::status.eq_any(["called", "serving"]))
            .select(TicketRow::as_select())
            .first(conn)
            .optional()
    }

    /// A commune's waiting tickets of the day (for a ticket's position).
    pub fn waiting_of_day(
        conn: &mut DbConn,
        commune: &str,
        day: NaiveDate,
    ) -> QueryResult<Vec<TicketRow>> {
        queue_tickets::table
            .filter(queue_tickets::commune_code.eq(commune))
            .filter(queue_tickets::day.eq(day))
            .filter(queue_tickets::status.eq("waiting"))
            .select(TicketRow::as_select())
            .load(conn)
    }

    /// Start and finish of a service's last `limit` tickets served on the day, latest first.
    pub fn recent_service_times(
        conn: &mut DbConn,
        commune: &str,
        day: NaiveDate,
        service: &str,
        limit: i64,
    ) -> QueryResult<Vec<(Option<NaiveDateTime>, Option<NaiveDateTime>)>> {
        queue_tickets::table
            .filter(queue_tickets::commune_code.eq(commune))
            .filter(queue_tickets::day.eq(day))
            .filter(queue_tickets::service.eq(service))
            .filter(queue_tickets::status.eq("done"))
            .filter(queue_tickets::started_at.is_not_null())
            .filter(queue_tickets::finished_at.is_not_null())
            .order(queue_tickets::finished_at.desc())
            .limit(limit)
            .select((queue_tickets::started_at, queue_tickets::finished_at))
            .load(conn)
    }

    /// Waiting tickets per service of a commune's day.
    pub fn waiting_counts(
        conn: &mut DbConn,
        commune: &str,
        day: NaiveDate,
    ) -> QueryResult<Vec<(String, i64)>> {
        queue_tickets::table
            .filter(queue_tickets::commune_code.eq(commune))
            .filter(queue_tickets::day.eq(day))
            .filter(queue_tickets::status.eq("waiting"))
            .group_by(queue_tickets::service)
            .select((queue_tickets::service, diesel::dsl::count_star()))
            .order(queue_tickets::service)
            .load(conn)
    }

    /// The first waiting ticket a counter may call, of the priority queue or the ordinary
    /// one, locked for this transaction. PostgreSQL: `FOR UPDATE SKIP LOCKED`, so two
    /// officers calling at once each get a different ticket (or none) without waiting on
    /// each other. SQLite: the caller's IMMEDIATE transaction already excludes every other
    /// writer. Eligible: transferred to this counter, or not transferred and of a service
    /// the counter serves. Order: issue time, then number (a transfer keeps its place).
    pub fn claim_head(
        conn: &mut DbConn,
        commune: &str,
        day: NaiveDate,
        counter: &str,
        services: &[String],
        priority: bool,
    ) -> QueryResult<Option<TicketRow>> {
        macro_rules! head {
            ($class:expr) => {
                queue_tickets::table
                    .filter(queue_tickets::commune_code.eq(commune))
                    .filter(queue_tickets::day.eq(day))
                    .filter(queue_tickets::status.eq("waiting"))
                    .filter($class)
                    .filter(
                        queue_tickets::target_counter_id.eq(counter).or(
                            queue_tickets::target_counter_id
                                .is_null()
                                .and(queue_tickets::service.eq_any(services)),
                        ),
                    )
                    .order((queue_tickets::issued_at, queue_tickets::seq))
                    .select(TicketRow::as_select())
                    .limit(1)
            };
        }
        let class = queue_tickets::priority_class;
        match (conn, priority) {
            (DbConn::Pg(c), true) => head!(class.is_not_null())
                .for_update()
                .skip_locked()
                .first(c)
                .optional(),
            (DbConn::Pg(c), false) => head!(class.is_null())
                .for_update()
                .skip_locked()
                .first(c)
                .optional(),
            (DbConn::Sqlite(c), true) => head!(class.is_not_null()).first(c).optional(),
            (DbConn::Sqlite(c), false) => head!(class.is_null()).first(c).optional(),
        }
    }

    /// Next number of a commune's day and prefix; see `dossier::next_dossier_seq` for why
    /// this is gapless across instances (the upsert holds the row until commit).
    pub fn next_seq(
        conn: &mut DbConn,
        commune: &str,
        day: NaiveDate,
        prefix: &str,
    ) -> QueryResult<i64> {
        let sql = match conn {
            DbConn::Pg(_) => {
                "INSERT INTO queue_number_counters (commune_code, day, prefix, last_seq) \
                 VALUES ($1, $2, $3, 1) ON CONFLICT (commune_code, day, prefix) \
                 DO UPDATE SET last_seq = queue_number_counters.last_seq + 1 RETURNING last_seq"
            }
            DbConn::Sqlite(_) => {
                "INSERT INTO queue_number_counters (commune_code, day, prefix, last_seq) \
                 VALUES (?, ?, ?, 1) ON CONFLICT (commune_code, day, prefix) \
                 DO UPDATE SET last_seq = last_seq + 1 RETURNING last_seq"
            }
        };
        diesel::sql_query(sql)
            .bind::<Text, _>(commune)
            .bind::<Date, _>(day)
            .bind::<Text, _>(prefix)
            .get_result::<Seq>(conn)
            .map(|s| s.last_seq)
    }
}

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = queue_events)]
pub struct EventRow {
    pub id: i64,
    pub commune_code: String,
    pub kind: String,
    pub data: String,
    pub created_at: NaiveDateTime,
}

impl EventRow {
    pub fn append(
        conn: &mut DbConn,
        commune: &str,
        kind: &str,
        data: &str,
        at: NaiveDateTime,
    ) -> QueryResult<i64> {
        diesel::insert_into(queue_events::table)
            .values((
                queue_events::commune_code.eq(commune),
                queue_events::kind.eq(kind),
                queue_events::data.eq(data),
                queue_events::created_at.eq(at),
            ))
            .returning(queue_events::id)
            .get_result(conn)
    }

    /// A commune's events after `after`, oldest first.
    pub fn after(
        conn: &mut DbConn,
        commune: &str,
        after: i64,
        limit: i64,
    ) -> QueryResult<Vec<EventRow>> {
        queue_events::table
            .filter(queue_events::commune_code.eq(commune))
            .filter(queue_events::id.gt(after))
            .order(queue_events::id)
            .limit(limit)
            .select(EventRow::as_select())
            .load(conn)
    }

    /// The commune's last `n` events, newest first.
    pub fn recent(conn: &mut DbConn, commune: &str, n: i64) -> QueryResult<Vec<EventRow>> {
        queue_events::table
            .filter(queue_events::commune_code.eq(commune))
            .order(queue_events::id.desc())
            .limit(n)
            .select(EventRow::as_select())
            .load(conn)
    }
}
