package index

// LoadDummy gives the external test package (the search quality suite) the one mapping of
// the shared DummyJSON catalog to products that the internal tests use.
var LoadDummy = loadDummy
