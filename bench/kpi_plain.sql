-- The KPI summary's main figures computed the plain way, straight from the
-- register (what a dashboard would run without capa's rollup): the
-- baseline bench/kpi_latency.sh compares kpi_summary and kpi_monthly with.
SELECT count(*) FILTER (WHERE r.state OPERATOR(capa.<) 'closed') AS open_total,
       count(*) FILTER (WHERE r.state OPERATOR(capa.<) 'closed' AND r.close_due < now()) AS overdue_close,
       count(*) FILTER (WHERE r.state OPERATOR(capa.=) 'cancelled') AS cancelled_total,
       avg(r.closed_at - r.opened_at) FILTER (WHERE r.state OPERATOR(capa.=) 'closed') AS mean_time_to_close,
       percentile_disc(0.5) WITHIN GROUP (ORDER BY r.closed_at - r.opened_at)
           FILTER (WHERE r.state OPERATOR(capa.=) 'closed') AS median_time_to_close,
       avg((r.closed_at <= r.close_due)::int) FILTER (WHERE r.state OPERATOR(capa.=) 'closed') AS on_time_rate,
       avg((r.ineffective_count = 0)::int) FILTER (WHERE r.verified_at IS NOT NULL
                                                   AND r.state OPERATOR(capa.=) 'closed') AS first_time_effective_rate
FROM capa.register r;
