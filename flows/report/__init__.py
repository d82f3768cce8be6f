"""`treatywatch report`: one self-contained HTML file with the picture an analyst wants at a glance."""
