"""A STAC API 1.0 over the catalogue, rooted at ``<portal>/@stac``."""
