"""The logic behind the Voilà dashboards in ``dashboards/``: one module per dashboard.

Each module has ``build()``, which returns the dashboard's widgets (filters, key figures,
charts with source lines and download buttons) wired together. The notebooks only
explain and call ``build()``.
"""
