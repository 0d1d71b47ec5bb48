"""Places: the province, groups of communes, communes and villages; their boundaries, the geo
helpers every capability uses (geometries, lookup keys) and Vietnam time (vntime, months)."""
