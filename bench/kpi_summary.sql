SELECT * FROM capa.kpi_summary;
