"""How big a thumbnail is: the pure part of the thumbnail function, easy to test on its own."""


def thumbnail_size(width: int, height: int, max_side: int) -> tuple[int, int]:
    """The size that fits in a max_side square, keeps the aspect ratio and never enlarges."""
    scale = min(1.0, max_side / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))
