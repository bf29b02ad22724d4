SELECT * FROM capa.kpi_monthly;
