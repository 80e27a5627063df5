"""The chat command language: parse zh/en text into commands and run one handler per verb."""
