"""Pictures of what the models and the data hold, for people: instances drawn on an image, bar
charts as self-contained SVG, contact sheets of captioned images. Pillow and hand-written SVG
only, so nothing beyond the core dependencies is needed to look at results."""

from xpm.visualize.bar_chart import bar_chart_svg
from xpm.visualize.contact_sheet import contact_sheet
from xpm.visualize.instances import draw_instances

__all__ = ["bar_chart_svg", "contact_sheet", "draw_instances"]
