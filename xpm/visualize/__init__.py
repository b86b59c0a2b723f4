"""Pictures of what the models and the data hold, for people: instances drawn on an image,
contact sheets of captioned images, and charts (``xpm.visualize.charts``, matplotlib)."""

from xpm.visualize.contact_sheet import contact_sheet
from xpm.visualize.instances import draw_instances

__all__ = ["contact_sheet", "draw_instances"]
