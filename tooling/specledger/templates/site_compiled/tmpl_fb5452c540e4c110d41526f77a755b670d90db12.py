from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = 'base.html.j2'

def root(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    l_0_title = resolve('title')
    l_0_site_name = resolve('site_name')
    l_0_style = resolve('style')
    l_0_index = resolve('index')
    l_0_changelog = resolve('changelog')
    pass
    yield '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<meta name="viewport" content="width=device-width, initial-scale=1">\n<meta name="generator" content="specledger spec docs build">\n<title>'
    yield escape((undefined(name='title') if l_0_title is missing else l_0_title))
    yield ' · '
    yield escape((undefined(name='site_name') if l_0_site_name is missing else l_0_site_name))
    yield '</title>\n<link rel="stylesheet" href="'
    yield escape((undefined(name='style') if l_0_style is missing else l_0_style))
    yield '">\n</head>\n<body>\n<header class="top">\n<a class="brand" href="'
    yield escape((undefined(name='index') if l_0_index is missing else l_0_index))
    yield '">'
    yield escape((undefined(name='site_name') if l_0_site_name is missing else l_0_site_name))
    yield '</a>\n<nav aria-label="Site">\n<a href="'
    yield escape((undefined(name='index') if l_0_index is missing else l_0_index))
    yield '#specs">Specs</a>\n<a href="'
    yield escape((undefined(name='index') if l_0_index is missing else l_0_index))
    yield '#changes">Open changes</a>\n<a href="'
    yield escape((undefined(name='index') if l_0_index is missing else l_0_index))
    yield '#archived">Archived</a>\n<a href="'
    yield escape((undefined(name='changelog') if l_0_changelog is missing else l_0_changelog))
    yield '">Changelog</a>\n</nav>\n</header>\n<main>\n'
    yield from context.blocks['main'][0](context)
    yield '</main>\n<footer>Built by <code>spec docs build</code> from the specs and changes of '
    yield escape((undefined(name='site_name') if l_0_site_name is missing else l_0_site_name))
    yield '. Nothing on this page is loaded from elsewhere.</footer>\n</body>\n</html>\n'

def block_main(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    _block_vars = {}
    pass

blocks = {'main': block_main}
debug_info = '7=17&8=21&12=23&14=27&15=29&16=31&17=33&21=35&23=37&21=40'