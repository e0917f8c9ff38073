"""Small datasets shipped inside tfxkit so demos and tests never download anything."""
