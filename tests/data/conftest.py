"""Fixtures of the data tests: a local PySpark session (skipped without PySpark or Java)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def spark():  # type: ignore[no-untyped-def]
    pyspark_sql = pytest.importorskip("pyspark.sql")
    import shutil

    if shutil.which("java") is None:
        pytest.skip("PySpark needs a Java runtime (java is not on PATH)")
    import os

    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    session = (
        pyspark_sql.SparkSession.builder.master("local[1]")
        .appName("rekrut-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .getOrCreate()
    )
    yield session
    session.stop()
