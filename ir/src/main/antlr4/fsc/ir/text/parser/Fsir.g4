// The .fsir text format of the fsc graph IR (docs/IR.md, "Text format"). Names that look like
// keywords are keywords only where the grammar expects them: `ident` accepts every keyword, so an
// attribute, op or symbol may still be called `plan` or `loc`.
grammar Fsir;

file       : graph EOF ;
graph      : 'graph' GLOBAL '(' ins=params? ')' '->' '(' outs=params? ')' symbols? metadata? plan? '{' stmt* ret '}' ;
params     : typedValue (',' typedValue)* ;
symbols    : 'symbols' '{' (symbolBound (',' symbolBound)*)? '}' ;
symbolBound: ident '<=' INT ;
metadata   : 'metadata' '{' (entry (',' entry)*)? '}' ;
entry      : STRING '=' STRING ;
plan       : 'plan' '{' planField (',' planField)* '}' ;
planField  : ident '=' INT ;

stmt       : constant | node ;
constant   : typedValue '=' 'const' '@' STRING constData? ;
// Inline contents, for hand-written tests: every element, one element repeated, or seeded noise.
constData  : '[' (number (',' number)*)? ']'         # denseData
           | 'random' '(' INT ')'                     # randomData
           ;
node       : params '=' ident GLOBAL? '(' operands? ')' attrs? loc? region* ;
operands   : VALUE (',' VALUE)* ;
attrs      : '{' attrEntry (',' attrEntry)* '}' ;
attrEntry  : ident '=' attr ;
loc        : 'loc' '(' STRING ')' ;
region     : '{' '^' '(' params? ')' ':' node* 'yield' operands '}' ;
ret        : 'return' operands? ;

typedValue : VALUE ':' type placement? ;
placement  : 'arena' '[' HEX '+' HEX ']' ;
type       : ident '[' (dim (',' dim)*)? ']' ('{' ident '}')?   # tensorType
           | ident '<' type '>'                            # containerType
           | ident                                         # elementType
           ;
// A sum of monomials: `384`, `S`, `12*B*S`, `P+S`, `2*N-1`, `-1` (negative only in dims attributes).
dim        : sign='-'? dimTerm (dimOp+=('+' | '-') dimTerm)* ;
dimTerm    : INT ('*' dimFactor)*                    # fixedOrScaled
           | dimFactor ('*' dimFactor)*              # symbolic
           ;
// A symbol, or a floor division of a dim (a strided window's size: `floor((H+1)/2)`).
dimFactor  : ident                                   # namedFactor
           | 'floor' '(' '(' dim ')' '/' INT ')'     # floorFactor
           ;

attr       : number                                  # numberAttr
           | STRING                                  # stringAttr
           | '[' (number (',' number)*)? ']'         # listAttr
           | 'floats' '[' ']'                        # emptyFloatsAttr
           | 'strings' '[' (STRING (',' STRING)*)? ']'  # stringsAttr
           | '<' (dim (',' dim)*)? '>'               # dimsAttr
           ;
// An identifier here is a dtype (Attr.Type), or nan / inf.
number     : '-'? (INT | FLOAT | ident) ;

ident      : IDENT | 'graph' | 'symbols' | 'metadata' | 'plan' | 'const' | 'random' | 'loc' | 'yield'
           | 'return' | 'arena' | 'floats' | 'strings' | 'floor' ;

GLOBAL     : '@' [A-Za-z0-9_.]+ ;
VALUE      : '%' [A-Za-z0-9_.]+ ;
HEX        : '0x' [0-9a-fA-F]+ ;
FLOAT      : [0-9]+ '.' [0-9]+ ([eE] '-'? [0-9]+)?
           | [0-9]+ [eE] '-'? [0-9]+
           ;
INT        : [0-9]+ ;
IDENT      : [A-Za-z_] [A-Za-z0-9_]* ;
STRING     : '"' (ESCAPE | ~["\\\r\n])* '"' ;
fragment ESCAPE : '\\' ([\\"nrt] | 'u' HEXDIGIT HEXDIGIT HEXDIGIT HEXDIGIT) ;
fragment HEXDIGIT : [0-9a-fA-F] ;
COMMENT    : '//' ~[\r\n]* -> skip ;
WS         : [ \t\r\n]+ -> skip ;
