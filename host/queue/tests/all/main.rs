//! The conformance suite against both stores, plus what is specific to each.

mod postgres {
    use kiln_queue::testsuite::TestDatabase;

    kiln_queue::conformance_tests!(async {
        let database = TestDatabase::postgres().await;
        (database.store().await, database)
    });
}

mod sqlite {
    use kiln_queue::testsuite::TestDatabase;

    kiln_queue::conformance_tests!(async {
        let database = TestDatabase::sqlite();
        (database.store().await, database)
    });
}
