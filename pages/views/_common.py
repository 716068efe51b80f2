"""The front door to the pages' shared helpers: pages do
``from pages.views import _common as c`` and call ``c.md(...)``, ``c.current_filters()``.

Each helper lives in the module of its concern, and this one only imports them
(every public name, so no page needs to know which module holds what):

- ``menu``: the pages by menu section (``MENU``), the sidebar, and the guard each
  page runs first (``through_navigation``);
- ``access``: sign-in, roles and scope, the gate before any page, the schemes the
  session may see;
- ``cache``: the store, ``revision``, ``per_revision``/``on_store`` and the
  engine's reads, cached until the store changes;
- ``filters``: the sidebar's filter bar and the engine's Filters for it, the
  explore pages' choices, a page's choices kept in the URL;
- ``elements``: safe Markdown, tables, cards, messages, downloads, the page's CSS;
- ``charts``: drawing a plotly chart (``c.chart``).

Why split: one module of 900 lines held every concern, so finding how a chart's
filters reach the engine meant reading all of it. Why keep this front door: the
pages stay one import and ``c.`` calls. The names are the modules' own objects
(``c.MENU`` is ``menu.MENU``: change it in place and the menu shows it), but
assigning ``c.x = ...`` changes only this module: a test patches the module that
owns ``x``.

Pages stay thin: read the filters from here, call ``kpi``, draw. Nothing here
computes an indicator; the engine applies disclosure control and the pages
must never recompute around it.
"""

from __future__ import annotations

from kpi.indicators import Filters, Settings  # noqa: F401 - pages build c.Filters
from kpi.reach import Reach  # noqa: F401 - who may see which schemes, as c.Reach
from kpi.wording import (  # noqa: F401 - the pages' words, as c.format_value etc.
    comparison_words,
    format_interval,
    format_value,
    polarity_words,
)
from pages.views.access import (  # noqa: F401
    SchemeChoices,
    access_banner,
    access_gate,
    acting_as,
    auth_configured,
    current_scope,
    is_admin,
    no_role_page,
    scheme_choices,
    schemes,
    sign_in_page,
    sign_out_button,
    signed_in_email,
    user_reach,
)
from pages.views.cache import (  # noqa: F401
    activity_summary,
    answer_distribution,
    available_quarters,
    change,
    control_chart,
    data_as_of,
    db_path,
    england_table,
    equity,
    funnel,
    indicator_table,
    is_demo,
    item_completeness,
    missing_returns,
    on_store,
    per_revision,
    prepare_store,
    response_rates,
    revision,
    saved_mappings,
    scheme_spread,
    set_aside,
    store,
    survey_rounds,
    trend,
    uploads,
)
from pages.views.charts import draw as chart  # noqa: F401 - pages draw with c.chart
from pages.views.elements import (  # noqa: F401
    CARD_STYLE,
    COMPARISON_STYLE,
    MUTED,
    PAGE_CSS,
    PALETTE,
    SEQUENCE,
    STATIC_TABLE,
    TABLE_COLUMNS,
    Download,
    card,
    card_grid,
    csv_download,
    download_row,
    empty_store_message,
    html_table,
    khi_explained,
    markdown_table,
    md,
    page_style,
    scored_khis,
    shown_columns,
    side_by_side,
    static_table,
    suppressed_note,
    value_axis,
)
from pages.views.filters import (  # noqa: F401
    DIMENSION_LABELS,
    GROUPS_OF_PEOPLE,
    area_label,
    current_filters,
    current_quarter,
    dimension_codes,
    filter_bar,
    keep_in_url,
    khi_picker,
    settings,
    start_page,
    url_choice,
    without_area,
)
from pages.views.menu import (  # noqa: F401
    ENTRY_RAN,
    MENU,
    NAV_POSITION,
    entry_ran,
    menu,
    menu_pages,
    open_landing,
    own_menu,
    sidebar,
    through_navigation,
)
