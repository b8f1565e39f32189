"""Pipeline for the label «Territoires, Villes et Villages Internet»: raw inputs to reports."""
