"""The bundled rule files and rule documentation, installed as the package data of ``csqa.rules``."""
